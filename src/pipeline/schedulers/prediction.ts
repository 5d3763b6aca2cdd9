/** Conversions of the model output to x₀ and ε in variance-preserving form (shared by DDIM, PNDM, LCM). */
import type { PredictionType } from './types';

/**
 * x₀ estimate from the model output at a VP timestep with cumulative alpha `alphaProd`.
 * epsilon: (x − √(1−ᾱ)·ε)/√ᾱ; v: √ᾱ·x − √(1−ᾱ)·v; sample: the output itself.
 */
export function originalFromModelOutput(
  prediction: PredictionType,
  modelOutput: Float32Array,
  sample: Float32Array,
  alphaProd: number,
): Float32Array {
  const sa = Math.sqrt(alphaProd);
  const sb = Math.sqrt(1 - alphaProd);
  const out = new Float32Array(sample.length);
  switch (prediction) {
    case 'epsilon':
      for (let i = 0; i < out.length; i++) out[i] = (sample[i] - sb * modelOutput[i]) / sa;
      return out;
    case 'v_prediction':
      for (let i = 0; i < out.length; i++) out[i] = sa * sample[i] - sb * modelOutput[i];
      return out;
    case 'sample':
      out.set(modelOutput);
      return out;
  }
}

/** ε estimate in VP form: epsilon as is; v: √ᾱ·v + √(1−ᾱ)·x; sample: (x − √ᾱ·x₀)/√(1−ᾱ). */
export function epsilonFromModelOutput(
  prediction: PredictionType,
  modelOutput: Float32Array,
  sample: Float32Array,
  alphaProd: number,
): Float32Array {
  const sa = Math.sqrt(alphaProd);
  const sb = Math.sqrt(1 - alphaProd);
  if (prediction === 'epsilon') return modelOutput;
  const out = new Float32Array(sample.length);
  if (prediction === 'v_prediction') for (let i = 0; i < out.length; i++) out[i] = sa * modelOutput[i] + sb * sample[i];
  else for (let i = 0; i < out.length; i++) out[i] = (sample[i] - sa * modelOutput[i]) / sb;
  return out;
}
