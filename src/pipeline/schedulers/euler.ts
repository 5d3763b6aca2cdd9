/**
 * Euler (EulerDiscreteScheduler, s_churn = 0): deterministic first-order ODE step in σ space. Reads
 * use_karras_sigmas (diffusers ≥ 0.19) and final_sigmas_type (≥ 0.28; default "zero", which is where
 * every earlier version ended).
 */
import {
  alphasCumprod,
  checkSteps,
  continuousTimesteps,
  interpOnIndexGrid,
  karrasSigmas,
  sigmaToTimestep,
  trainingSigmas,
} from './noiseSchedule';
import type { FinalSigmasType, ResolvedSampler, Scheduler, SchedulerConfig, StepOptions, StepResult } from './types';

export interface SigmaScheduleOptions {
  /** Karras σ ramp between the schedule's own end points, timesteps mapped back through log σ. */
  readonly karras: boolean;
  readonly finalSigmas: FinalSigmasType;
}

/** σ-space schedule shared by Euler and Euler ancestral. */
export class SigmaSchedule {
  timesteps: number[] = [];
  /** One σ per timestep plus the final σ (0, or σ at t = 0 for final_sigmas_type "sigma_min"). */
  sigmas: number[] = [];
  initNoiseSigma = 1;
  private readonly trainSigmas: Float64Array;

  constructor(
    private readonly config: SchedulerConfig,
    private readonly options: SigmaScheduleOptions = { karras: false, finalSigmas: 'zero' },
  ) {
    this.trainSigmas = trainingSigmas(alphasCumprod(config));
  }

  get predictionType(): SchedulerConfig['predictionType'] {
    return this.config.predictionType;
  }

  set(steps: number): void {
    checkSteps(steps, this.config.numTrainTimesteps);
    const spacing = this.config.timestepSpacing ?? 'linspace';
    this.timesteps = continuousTimesteps(steps, spacing, this.config.numTrainTimesteps, this.config.stepsOffset);
    let sigmas = this.timesteps.map((t) => interpOnIndexGrid(t, this.trainSigmas));
    if (this.options.karras) {
      const logSigmas = this.trainSigmas.map(Math.log);
      sigmas = karrasSigmas(sigmas[sigmas.length - 1], sigmas[0], steps);
      this.timesteps = sigmas.map((sigma) => sigmaToTimestep(sigma, logSigmas));
    }
    this.sigmas = [...sigmas, this.options.finalSigmas === 'zero' ? 0 : this.trainSigmas[0]];
    const maxSigma = Math.max(...this.sigmas);
    this.initNoiseSigma = spacing === 'leading' ? Math.sqrt(maxSigma * maxSigma + 1) : maxSigma;
  }

  /** x / √(σ²+1): brings the VE sample to the UNet's VP input range. */
  scale(sample: Float32Array, index: number): Float32Array {
    const sigma = this.sigmas[index];
    const factor = 1 / Math.sqrt(sigma * sigma + 1);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) out[i] = sample[i] * factor;
    return out;
  }

  /** x₀ from the model output in σ (VE) space. */
  original(modelOutput: Float32Array, sample: Float32Array, sigma: number): Float32Array {
    const out = new Float32Array(sample.length);
    switch (this.config.predictionType) {
      case 'epsilon':
        for (let i = 0; i < out.length; i++) out[i] = sample[i] - sigma * modelOutput[i];
        return out;
      case 'v_prediction': {
        const c = -sigma / Math.sqrt(sigma * sigma + 1);
        const s = 1 / (sigma * sigma + 1);
        for (let i = 0; i < out.length; i++) out[i] = modelOutput[i] * c + sample[i] * s;
        return out;
      }
      case 'sample':
        out.set(modelOutput);
        return out;
    }
  }
}

/** What Euler and Euler ancestral share: the σ schedule and its input scaling; only `step` differs. */
export abstract class SigmaScheduler implements Scheduler {
  abstract readonly name: ResolvedSampler;
  protected readonly schedule: SigmaSchedule;

  constructor(config: SchedulerConfig, options?: SigmaScheduleOptions) {
    this.schedule = new SigmaSchedule(config, options);
  }

  get timesteps(): readonly number[] {
    return this.schedule.timesteps;
  }
  get sigmas(): readonly number[] {
    return this.schedule.sigmas;
  }
  get initNoiseSigma(): number {
    return this.schedule.initNoiseSigma;
  }

  setTimesteps(steps: number): void {
    this.schedule.set(steps);
  }

  scaleModelInput(sample: Float32Array, index: number): Float32Array {
    return this.schedule.scale(sample, index);
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    const sigma = this.schedule.sigmas[index];
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = original[i] + sigma * noise[i];
    return out;
  }

  abstract step(modelOutput: Float32Array, index: number, sample: Float32Array, options?: StepOptions): StepResult;
}

export class EulerScheduler extends SigmaScheduler {
  readonly name: ResolvedSampler = 'euler';

  constructor(config: SchedulerConfig) {
    super(config, { karras: config.useKarrasSigmas, finalSigmas: config.finalSigmasType ?? 'zero' });
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, _options?: StepOptions): StepResult {
    const sigma = this.schedule.sigmas[index];
    const dt = this.schedule.sigmas[index + 1] - sigma;
    const prev = new Float32Array(sample.length);
    if (this.schedule.predictionType === 'epsilon') {
      // d = (x − x₀)/σ = ε exactly, so the update needs no x₀ buffer (the hot path).
      for (let i = 0; i < prev.length; i++) prev[i] = sample[i] + modelOutput[i] * dt;
      return { prevSample: prev };
    }
    const x0 = this.schedule.original(modelOutput, sample, sigma);
    for (let i = 0; i < prev.length; i++) prev[i] = sample[i] + ((sample[i] - x0[i]) / sigma) * dt;
    return { prevSample: prev, predOriginalSample: x0 };
  }
}
