/**
 * DDIM (DDIMScheduler) with η = 0: deterministic, x₀ re-noised to the previous timestep's ᾱ. Class
 * defaults as diffusers v0.21.4 (unchanged since): clip_sample true, set_alpha_to_one true. The x₀ estimate
 * is clipped or thresholded; ε stays the model's (use_clipped_model_output false, as the SD pipelines run it).
 */
import { checkSteps, checkTimestepRange, discreteTimesteps } from './noiseSchedule';
import { epsilonFromModelOutput, originalFromModelOutput } from './prediction';
import { AlphaScheduler } from './alphaScheduler';
import { clipPredictedOriginal } from './sampleClipping';
import type { ResolvedSampler, SchedulerConfig, StepOptions, StepResult } from './types';

export class DdimScheduler extends AlphaScheduler {
  readonly name: ResolvedSampler = 'ddim';
  private stepRatio = 1;

  constructor(config: SchedulerConfig) {
    super(config, true);
  }

  setTimesteps(steps: number): void {
    checkSteps(steps, this.config.numTrainTimesteps);
    const spacing = this.config.timestepSpacing ?? 'leading';
    this.timesteps = discreteTimesteps(steps, spacing, this.config.numTrainTimesteps, this.config.stepsOffset);
    checkTimestepRange(this.timesteps, this.config.numTrainTimesteps, steps);
    this.stepRatio = Math.floor(this.config.numTrainTimesteps / steps);
  }


  step(modelOutput: Float32Array, index: number, sample: Float32Array, _options?: StepOptions): StepResult {
    const t = this.timesteps[index];
    const prevT = t - this.stepRatio;
    const alphaProd = this.alphas[t];
    const alphaPrev = this.alphaAt(prevT);
    const x0 = clipPredictedOriginal(originalFromModelOutput(this.config.predictionType, modelOutput, sample, alphaProd), this.config, true);
    const eps = epsilonFromModelOutput(this.config.predictionType, modelOutput, sample, alphaProd);
    const a = Math.sqrt(alphaPrev);
    const b = Math.sqrt(1 - alphaPrev);
    const prev = new Float32Array(sample.length);
    for (let i = 0; i < prev.length; i++) prev[i] = a * x0[i] + b * eps[i];
    return { prevSample: prev, predOriginalSample: x0 };
  }
}
