/** DDIM (DDIMScheduler) with η = 0: deterministic, x₀ re-noised to the previous timestep's ᾱ. */
import { addNoiseVp, alphasCumprod, checkSteps, checkTimestepRange, discreteTimesteps, finalAlphaCumprod } from './noiseSchedule';
import { epsilonFromModelOutput, originalFromModelOutput } from './prediction';
import type { ResolvedSampler, Scheduler, SchedulerConfig, StepOptions, StepResult } from './types';

export class DdimScheduler implements Scheduler {
  readonly name: ResolvedSampler = 'ddim';
  readonly initNoiseSigma = 1;
  timesteps: number[] = [];
  private readonly alphas: Float64Array;
  private readonly finalAlpha: number;
  private stepRatio = 1;

  constructor(private readonly config: SchedulerConfig) {
    this.alphas = alphasCumprod(config);
    this.finalAlpha = finalAlphaCumprod(config, this.alphas);
  }

  setTimesteps(steps: number): void {
    checkSteps(steps, this.config.numTrainTimesteps);
    const spacing = this.config.timestepSpacing ?? 'leading';
    this.timesteps = discreteTimesteps(steps, spacing, this.config.numTrainTimesteps, this.config.stepsOffset);
    checkTimestepRange(this.timesteps, this.config.numTrainTimesteps, steps);
    this.stepRatio = Math.floor(this.config.numTrainTimesteps / steps);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    return addNoiseVp(original, noise, this.alphas[this.timesteps[index]]);
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, _options?: StepOptions): StepResult {
    const t = this.timesteps[index];
    const prevT = t - this.stepRatio;
    const alphaProd = this.alphas[t];
    const alphaPrev = prevT >= 0 ? this.alphas[prevT] : this.finalAlpha;
    const x0 = originalFromModelOutput(this.config.predictionType, modelOutput, sample, alphaProd);
    const eps = epsilonFromModelOutput(this.config.predictionType, modelOutput, sample, alphaProd);
    const a = Math.sqrt(alphaPrev);
    const b = Math.sqrt(1 - alphaPrev);
    const prev = new Float32Array(sample.length);
    for (let i = 0; i < prev.length; i++) prev[i] = a * x0[i] + b * eps[i];
    return { prevSample: prev, predOriginalSample: x0 };
  }
}
