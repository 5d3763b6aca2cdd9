/** DDIM (DDIMScheduler) with η = 0: deterministic, x₀ re-noised to the previous timestep's ᾱ. */
import { checkSteps, checkTimestepRange, discreteTimesteps } from './noiseSchedule';
import { epsilonFromModelOutput, originalFromModelOutput } from './prediction';
import { AlphaScheduler } from './alphaScheduler';
import type { ResolvedSampler, StepOptions, StepResult } from './types';

export class DdimScheduler extends AlphaScheduler {
  readonly name: ResolvedSampler = 'ddim';
  private stepRatio = 1;


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
    const x0 = originalFromModelOutput(this.config.predictionType, modelOutput, sample, alphaProd);
    const eps = epsilonFromModelOutput(this.config.predictionType, modelOutput, sample, alphaProd);
    const a = Math.sqrt(alphaPrev);
    const b = Math.sqrt(1 - alphaPrev);
    const prev = new Float32Array(sample.length);
    for (let i = 0; i < prev.length; i++) prev[i] = a * x0[i] + b * eps[i];
    return { prevSample: prev, predOriginalSample: x0 };
  }
}
