/**
 * DPM-Solver++ 2M (DPMSolverMultistepScheduler, algorithm "dpmsolver++", solver_order 1 or 2, solver_type
 * midpoint or heun, thresholding), optionally on Karras sigmas. Works on VP samples: no input scaling.
 * final_sigmas_type defaults to "zero" as in diffusers ≥ 0.26; "sigma_min" ends at the training σ of t = 0,
 * which is where diffusers ≤ 0.25 (v0.21.4 included) always ended.
 */
import {
  alphasCumprod,
  checkSteps,
  checkTimestepRange,
  interpOnIndexGrid,
  karrasSigmas,
  linspace,
  roundHalfEven,
  sigmaToTimestep,
  trainingSigmas,
} from './noiseSchedule';
import { PipelineError } from '../../shared/errors';
import { dynamicThreshold } from './sampleClipping';
import type { ResolvedSampler, Scheduler, SchedulerConfig, StepOptions, StepResult } from './types';

export { karrasSigmas, sigmaToTimestep };

/** VP α_t and σ_t of a VE σ. */
function alphaSigma(sigma: number): { alpha: number; sigmaT: number; lambda: number } {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  const sigmaT = sigma * alpha;
  return { alpha, sigmaT, lambda: Math.log(alpha) - Math.log(sigmaT) };
}

export class DpmSolverMultistepScheduler implements Scheduler {
  readonly name: ResolvedSampler;
  readonly initNoiseSigma = 1;
  timesteps: number[] = [];
  sigmas: number[] = [];
  private readonly trainSigmas: Float64Array;
  private modelOutputs: Float32Array[] = [];
  private lowerOrderNums = 0;

  constructor(
    private readonly config: SchedulerConfig,
    private readonly karras: boolean,
  ) {
    this.name = karras ? 'dpmpp-2m-karras' : 'dpmpp-2m';
    if (config.algorithmType !== 'dpmsolver++') {
      throw new PipelineError('MODEL_UNSUPPORTED', `scheduler_config.json: algorithm_type ${JSON.stringify(config.algorithmType)} is not implemented; DPM++ 2M runs "dpmsolver++" only. Choose another sampler, or set algorithm_type to "dpmsolver++"`, { argument: 'algorithm_type' });
    }
    if (config.solverOrder > 2) {
      throw new PipelineError('MODEL_UNSUPPORTED', `scheduler_config.json: solver_order ${config.solverOrder} is not implemented; DPM++ 2M runs orders 1 and 2. Choose another sampler, or set solver_order to 2`, { argument: 'solver_order' });
    }
    this.trainSigmas = trainingSigmas(alphasCumprod(config));
  }

  setTimesteps(steps: number): void {
    const n = this.config.numTrainTimesteps;
    checkSteps(steps, n);
    const spacing = this.config.timestepSpacing ?? 'linspace';
    let timesteps: number[];
    if (spacing === 'linspace') {
      timesteps = linspace(0, n - 1, steps + 1).map(roundHalfEven).reverse().slice(0, -1);
    } else if (spacing === 'leading') {
      const ratio = Math.floor(n / (steps + 1));
      timesteps = Array.from({ length: steps + 1 }, (_, i) => i * ratio + this.config.stepsOffset).reverse().slice(0, -1);
    } else {
      const ratio = n / steps;
      timesteps = [];
      for (let t = n; t > 0; t -= ratio) timesteps.push(roundHalfEven(t) - 1);
      timesteps = timesteps.slice(0, steps);
    }
    checkTimestepRange(timesteps, n, steps);
    const last = (this.config.finalSigmasType ?? 'zero') === 'zero' ? 0 : this.trainSigmas[0];
    if (this.karras) {
      const logSigmas = this.trainSigmas.map(Math.log);
      const sigmas = karrasSigmas(this.trainSigmas[0], this.trainSigmas[n - 1], steps);
      this.timesteps = sigmas.map((s) => roundHalfEven(sigmaToTimestep(s, logSigmas)));
      this.sigmas = [...sigmas, last];
    } else {
      this.timesteps = timesteps;
      this.sigmas = [...timesteps.map((t) => interpOnIndexGrid(t, this.trainSigmas)), last];
    }
    this.modelOutputs = [];
    this.lowerOrderNums = 0;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    const { alpha, sigmaT } = alphaSigma(this.sigmas[index]);
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = alpha * original[i] + sigmaT * noise[i];
    return out;
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, _options?: StepOptions): StepResult {
    const predicted = this.dataPrediction(modelOutput, sample, this.sigmas[index]);
    const x0 = this.config.thresholding ? dynamicThreshold(predicted, this.config.dynamicThresholdingRatio, this.config.sampleMaxValue) : predicted;
    this.modelOutputs = [...this.modelOutputs.slice(-1), x0];
    // diffusers `lower_order_final`: a σ = 0 end, euler_at_final, or a short schedule make the last step first order.
    const c = this.config;
    const steps = this.timesteps.length;
    const lowerOrderFinal = index === steps - 1 && (c.eulerAtFinal || (c.lowerOrderFinal && steps < 15) || (c.finalSigmasType ?? 'zero') === 'zero');
    const firstOrder = c.solverOrder === 1 || this.lowerOrderNums < 1 || lowerOrderFinal;
    const prev = firstOrder ? this.firstOrder(x0, sample, index) : this.secondOrder(sample, index);
    if (this.lowerOrderNums < 2) this.lowerOrderNums += 1;
    return { prevSample: prev, predOriginalSample: x0 };
  }

  private dataPrediction(output: Float32Array, sample: Float32Array, sigma: number): Float32Array {
    const { alpha, sigmaT } = alphaSigma(sigma);
    if (this.config.predictionType === 'sample') return output;
    const out = new Float32Array(sample.length);
    if (this.config.predictionType === 'epsilon') for (let i = 0; i < out.length; i++) out[i] = (sample[i] - sigmaT * output[i]) / alpha;
    else for (let i = 0; i < out.length; i++) out[i] = alpha * sample[i] - sigmaT * output[i];
    return out;
  }

  private firstOrder(x0: Float32Array, sample: Float32Array, index: number): Float32Array {
    const s = alphaSigma(this.sigmas[index]);
    const t = alphaSigma(this.sigmas[index + 1]);
    const h = t.lambda - s.lambda;
    const ratio = t.sigmaT / s.sigmaT;
    const k = t.alpha * (Math.exp(-h) - 1);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) out[i] = ratio * sample[i] - k * x0[i];
    return out;
  }

  private secondOrder(sample: Float32Array, index: number): Float32Array {
    const [m1, m0] = this.modelOutputs;
    const t = alphaSigma(this.sigmas[index + 1]);
    const s0 = alphaSigma(this.sigmas[index]);
    const s1 = alphaSigma(this.sigmas[index - 1]);
    const h = t.lambda - s0.lambda;
    const r0 = (s0.lambda - s1.lambda) / h;
    const ratio = t.sigmaT / s0.sigmaT;
    const k = t.alpha * (Math.exp(-h) - 1);
    const out = new Float32Array(sample.length);
    if (this.config.solverType === 'heun') {
      const kHeun = t.alpha * ((Math.exp(-h) - 1) / h + 1);
      for (let i = 0; i < out.length; i++) out[i] = ratio * sample[i] - k * m0[i] + kHeun * ((m0[i] - m1[i]) / r0);
    } else {
      for (let i = 0; i < out.length; i++) out[i] = ratio * sample[i] - k * m0[i] - 0.5 * k * ((m0[i] - m1[i]) / r0);
    }
    return out;
  }
}
