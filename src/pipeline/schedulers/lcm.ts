/**
 * LCM (LCMScheduler): consistency-model steps on a subset of the distillation grid; each step predicts
 * the clean sample and re-noises it to the next timestep (fresh noise), except the last. Class defaults
 * as diffusers v0.22+ (LCMScheduler's first release): set_alpha_to_one true, clip_sample false.
 */
import { checkSteps } from './noiseSchedule';
import { originalFromModelOutput } from './prediction';
import { AlphaScheduler } from './alphaScheduler';
import { clipPredictedOriginal } from './sampleClipping';
import type { ResolvedSampler, SchedulerConfig, StepOptions, StepResult } from './types';

const SIGMA_DATA = 0.5;

/** Boundary-condition scalings c_skip, c_out at timestep t. */
export function lcmBoundaryScalings(t: number, timestepScaling: number): { cSkip: number; cOut: number } {
  const scaled = t * timestepScaling;
  const denom = scaled * scaled + SIGMA_DATA * SIGMA_DATA;
  return { cSkip: (SIGMA_DATA * SIGMA_DATA) / denom, cOut: scaled / Math.sqrt(denom) };
}

export class LcmScheduler extends AlphaScheduler {
  readonly name: ResolvedSampler = 'lcm';

  constructor(config: SchedulerConfig) {
    super(config, true);
  }

  setTimesteps(steps: number): void {
    const original = this.config.originalInferenceSteps;
    checkSteps(steps, original);
    const k = Math.floor(this.config.numTrainTimesteps / original);
    const origin = Array.from({ length: original }, (_, i) => (i + 1) * k - 1).reverse();
    this.timesteps = Array.from({ length: steps }, (_, i) => origin[Math.floor((i * original) / steps)]);
  }


  step(modelOutput: Float32Array, index: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    const t = this.timesteps[index];
    const isLast = index === this.timesteps.length - 1;
    const prevT = isLast ? t : this.timesteps[index + 1];
    const alphaProd = this.alphas[t];
    const alphaPrev = this.alphaAt(prevT);
    const { cSkip, cOut } = lcmBoundaryScalings(t, this.config.timestepScaling);
    const x0 = clipPredictedOriginal(originalFromModelOutput(this.config.predictionType, modelOutput, sample, alphaProd), this.config, false);
    const denoised = x0.map((v, i) => cOut * v + cSkip * sample[i]);
    if (isLast) return { prevSample: denoised, predOriginalSample: denoised };
    if (!options.noise) throw new Error('LCM needs a noise source for its step');
    const z = options.noise(denoised.length);
    const a = Math.sqrt(alphaPrev);
    const b = Math.sqrt(1 - alphaPrev);
    return { prevSample: denoised.map((v, i) => a * v + b * z[i]), predOriginalSample: denoised };
  }
}
