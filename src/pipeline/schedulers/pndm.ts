/**
 * PNDM in its PLMS form (PNDMScheduler with skip_prk_steps, SD 1.5's default): linear multistep over
 * the last four ε estimates. N steps make N+1 UNet calls (the second timestep repeats). Class default as
 * diffusers v0.21.4: set_alpha_to_one false; PNDM never clips.
 */
import { checkSteps, checkTimestepRange, discreteTimesteps } from './noiseSchedule';
import { AlphaScheduler } from './alphaScheduler';
import type { ResolvedSampler, SchedulerConfig, StepOptions, StepResult } from './types';

export class PndmScheduler extends AlphaScheduler {
  readonly name: ResolvedSampler = 'pndm';
  private stepRatio = 1;
  private ets: Float32Array[] = [];
  private curSample: Float32Array | undefined;
  private counter = 0;

  constructor(config: SchedulerConfig) {
    super(config, false);
  }

  setTimesteps(steps: number): void {
    checkSteps(steps, this.config.numTrainTimesteps);
    const spacing = this.config.timestepSpacing ?? 'leading';
    const ascending = discreteTimesteps(steps, spacing, this.config.numTrainTimesteps, this.config.stepsOffset).reverse();
    checkTimestepRange(ascending, this.config.numTrainTimesteps, steps);
    this.stepRatio = Math.floor(this.config.numTrainTimesteps / steps);
    // diffusers: concat(ts[:-1], ts[-2:-1], ts[-1:]) reversed — the second call repeats a timestep.
    const plms = steps === 1 ? ascending : [...ascending.slice(0, -1), ascending[ascending.length - 2], ascending[ascending.length - 1]];
    this.timesteps = plms.reverse();
    this.ets = [];
    this.curSample = undefined;
    this.counter = 0;
  }


  step(modelOutput: Float32Array, index: number, sample: Float32Array, _options?: StepOptions): StepResult {
    let timestep = this.timesteps[index];
    let prevTimestep = timestep - this.stepRatio;
    // Deviation from diffusers, on purpose: v-prediction output is converted to ε *before* it enters the
    // multistep history. PLMS extrapolates the quantity it stores, and ε (unlike v) is what varies slowly
    // along the trajectory; diffusers combines raw v and converts afterwards, which the oracle shows is
    // off by ~2e-3 even with an exact model.
    const eps = this.toEpsilon(modelOutput, sample, timestep);
    if (this.counter !== 1) {
      this.ets = this.ets.slice(-3);
      this.ets.push(eps);
    } else {
      prevTimestep = timestep;
      timestep = timestep + this.stepRatio;
    }

    let combined: Float32Array;
    let base = sample;
    const e = this.ets;
    if (e.length === 1 && this.counter === 0) {
      combined = eps;
      this.curSample = sample;
    } else if (e.length === 1 && this.counter === 1) {
      const last = e[e.length - 1];
      combined = eps.map((v, i) => (v + last[i]) / 2);
      base = this.curSample ?? sample;
      this.curSample = undefined;
    } else if (e.length === 2) {
      const [a, b] = [e[1], e[0]];
      combined = a.map((v, i) => (3 * v - b[i]) / 2);
    } else if (e.length === 3) {
      const [a, b, c] = [e[2], e[1], e[0]];
      combined = a.map((v, i) => (23 * v - 16 * b[i] + 5 * c[i]) / 12);
    } else {
      const [a, b, c, d] = [e[3], e[2], e[1], e[0]];
      combined = a.map((v, i) => (55 * v - 59 * b[i] + 37 * c[i] - 9 * d[i]) / 24);
    }
    const prev = this.previousSample(base, timestep, prevTimestep, combined);
    this.counter += 1;
    return { prevSample: prev };
  }

  private toEpsilon(output: Float32Array, sample: Float32Array, t: number): Float32Array {
    if (this.config.predictionType === 'epsilon') return output;
    if (this.config.predictionType === 'sample') throw new Error('PNDM does not support prediction_type "sample"; choose Euler or DDIM');
    const alphaProd = this.alphas[t];
    return output.map((v, i) => Math.sqrt(alphaProd) * v + Math.sqrt(1 - alphaProd) * sample[i]);
  }

  /** Formula (9) of the PNDM paper, on ε. */
  private previousSample(sample: Float32Array, t: number, prevT: number, eps: Float32Array): Float32Array {
    const alphaProd = this.alphas[t];
    const alphaPrev = this.alphaAt(prevT);
    const betaProd = 1 - alphaProd;
    const betaPrev = 1 - alphaPrev;
    const sampleCoeff = Math.sqrt(alphaPrev / alphaProd);
    const denom = alphaProd * Math.sqrt(betaPrev) + Math.sqrt(alphaProd * betaProd * alphaPrev);
    const k = (alphaPrev - alphaProd) / denom;
    const prev = new Float32Array(sample.length);
    for (let i = 0; i < prev.length; i++) prev[i] = sampleCoeff * sample[i] - k * eps[i];
    return prev;
  }
}
