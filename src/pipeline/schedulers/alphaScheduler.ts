/** What DDIM, PNDM and LCM share: ᾱ tables, VP noising, no input scaling; each adds its own step. */
import { addNoiseVp, alphasCumprod, finalAlphaCumprod } from './noiseSchedule';
import type { ResolvedSampler, Scheduler, SchedulerConfig, StepOptions, StepResult } from './types';

export abstract class AlphaScheduler implements Scheduler {
  abstract readonly name: ResolvedSampler;
  readonly initNoiseSigma = 1;
  timesteps: number[] = [];
  protected readonly alphas: Float64Array;
  /** ᾱ used for "the step before t = 0" (1 with set_alpha_to_one, else ᾱ₀). */
  protected readonly finalAlpha: number;

  /** `setAlphaToOneByDefault`: the class's set_alpha_to_one default, used when the config omits the key. */
  constructor(
    protected readonly config: SchedulerConfig,
    setAlphaToOneByDefault: boolean,
  ) {
    this.alphas = alphasCumprod(config);
    this.finalAlpha = finalAlphaCumprod(config, this.alphas, setAlphaToOneByDefault);
  }

  abstract setTimesteps(steps: number): void;
  abstract step(modelOutput: Float32Array, index: number, sample: Float32Array, options?: StepOptions): StepResult;

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    return addNoiseVp(original, noise, this.alphas[this.timesteps[index]]);
  }

  /** ᾱ at a timestep, or the final ᾱ before t = 0. */
  protected alphaAt(t: number): number {
    return t >= 0 ? this.alphas[t] : this.finalAlpha;
  }
}
