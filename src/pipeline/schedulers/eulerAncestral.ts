/**
 * Euler ancestral (EulerAncestralDiscreteScheduler): Euler step to σ_down plus fresh noise of σ_up.
 * The class has neither use_karras_sigmas nor final_sigmas_type (diffusers v0.21.4), so it ignores both.
 */
import { SigmaScheduler } from './euler';
import type { ResolvedSampler, StepOptions, StepResult } from './types';

export class EulerAncestralScheduler extends SigmaScheduler {
  readonly name: ResolvedSampler = 'euler-a';

  step(modelOutput: Float32Array, index: number, sample: Float32Array, options: StepOptions = {}): StepResult {
    const sigmaFrom = this.schedule.sigmas[index];
    const sigmaTo = this.schedule.sigmas[index + 1];
    const x0 = this.schedule.original(modelOutput, sample, sigmaFrom);
    const sigmaUp = Math.sqrt((sigmaTo * sigmaTo * (sigmaFrom * sigmaFrom - sigmaTo * sigmaTo)) / (sigmaFrom * sigmaFrom));
    const sigmaDown = Math.sqrt(sigmaTo * sigmaTo - sigmaUp * sigmaUp);
    const dt = sigmaDown - sigmaFrom;
    const prev = new Float32Array(sample.length);
    for (let i = 0; i < prev.length; i++) prev[i] = sample[i] + ((sample[i] - x0[i]) / sigmaFrom) * dt;
    if (sigmaUp > 0) {
      if (!options.noise) throw new Error('Euler ancestral needs a noise source for its step');
      const z = options.noise(prev.length);
      for (let i = 0; i < prev.length; i++) prev[i] += z[i] * sigmaUp;
    }
    return { prevSample: prev, predOriginalSample: x0 };
  }
}
