/**
 * What diffusers does to the x₀ estimate before using it (DDIM, LCM, DPM-Solver++): dynamic thresholding
 * when `thresholding` is set, else a clamp to ±clip_sample_range when clipping applies.
 */
import type { SchedulerConfig } from './types';

/**
 * Imagen's dynamic thresholding (diffusers `_threshold_sample`): s = the `ratio` quantile of |x| (torch's
 * linear interpolation), held in [1, maxValue]; x is clamped to ±s and divided by s. `x` is one image's
 * sample, which is what diffusers thresholds per batch item.
 */
export function dynamicThreshold(x: Float32Array, ratio: number, maxValue: number): Float32Array {
  const sorted = Float64Array.from(x, Math.abs).sort();
  const position = ratio * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  const quantile = sorted[low] + (sorted[high] - sorted[low]) * (position - low);
  // torch.clamp(min=1, max=maxValue): max wins when maxValue < 1.
  const s = Math.min(Math.max(quantile, 1), maxValue);
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(s, Math.max(-s, x[i])) / s;
  return out;
}

/** x₀ after thresholding or clipping as the config asks; `clipByDefault` is the class's clip_sample default. */
export function clipPredictedOriginal(x0: Float32Array, config: SchedulerConfig, clipByDefault: boolean): Float32Array {
  if (config.thresholding) return dynamicThreshold(x0, config.dynamicThresholdingRatio, config.sampleMaxValue);
  if (!(config.clipSample ?? clipByDefault)) return x0;
  const r = config.clipSampleRange;
  const out = new Float32Array(x0.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(r, Math.max(-r, x0[i]));
  return out;
}
