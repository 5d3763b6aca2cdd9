/** Noise-schedule math shared by every scheduler (one copy, so the algorithms cannot drift apart). */
import type { SchedulerConfig, TimestepSpacing } from './types';

/** numpy.linspace(start, stop, num) with endpoint=true. */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => start + step * i);
}

/** numpy.round: halves go to the nearest even integer. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** numpy.interp over xp = 0, 1, …, fp.length−1 (integer grid). */
export function interpOnIndexGrid(x: number, fp: ArrayLike<number>): number {
  if (x <= 0) return fp[0];
  const last = fp.length - 1;
  if (x >= last) return fp[last];
  const i = Math.floor(x);
  const frac = x - i;
  return fp[i] + (fp[i + 1] - fp[i]) * frac;
}

export function betas(config: SchedulerConfig): Float64Array {
  const n = config.numTrainTimesteps;
  const out = new Float64Array(n);
  switch (config.betaSchedule) {
    case 'linear': {
      const values = linspace(config.betaStart, config.betaEnd, n);
      values.forEach((v, i) => (out[i] = v));
      return out;
    }
    case 'scaled_linear': {
      const values = linspace(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), n);
      values.forEach((v, i) => (out[i] = v * v));
      return out;
    }
    case 'squaredcos_cap_v2': {
      const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
      for (let i = 0; i < n; i++) out[i] = Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999);
      return out;
    }
  }
}

/** ᾱ_t = ∏_{s≤t}(1−β_s). */
export function alphasCumprod(config: SchedulerConfig): Float64Array {
  const b = betas(config);
  const out = new Float64Array(b.length);
  let product = 1;
  for (let i = 0; i < b.length; i++) {
    product *= 1 - b[i];
    out[i] = product;
  }
  return out;
}

/** σ_t = √((1−ᾱ_t)/ᾱ_t) for every training timestep. */
export function trainingSigmas(alphas: Float64Array): Float64Array {
  return alphas.map((a) => Math.sqrt((1 - a) / a));
}

/**
 * The integer timestep grids of DDIM/PNDM-style schedulers (diffusers `set_timesteps`), descending.
 * `linspace` rounds half-to-even like numpy.
 */
export function discreteTimesteps(
  steps: number,
  spacing: TimestepSpacing,
  numTrainTimesteps: number,
  stepsOffset: number,
): number[] {
  switch (spacing) {
    case 'linspace':
      return linspace(0, numTrainTimesteps - 1, steps).map(roundHalfEven).reverse();
    case 'leading': {
      const ratio = Math.floor(numTrainTimesteps / steps);
      return Array.from({ length: steps }, (_, i) => roundHalfEven(i * ratio) + stepsOffset).reverse();
    }
    case 'trailing': {
      const ratio = numTrainTimesteps / steps;
      const out: number[] = [];
      for (let t = numTrainTimesteps; t > 0; t -= ratio) out.push(roundHalfEven(t) - 1);
      return out.slice(0, steps);
    }
  }
}

/** Continuous (float) timesteps as Euler uses them: linspace keeps fractions, the others are integers. */
export function continuousTimesteps(
  steps: number,
  spacing: TimestepSpacing,
  numTrainTimesteps: number,
  stepsOffset: number,
): number[] {
  if (spacing === 'linspace') return linspace(0, numTrainTimesteps - 1, steps).reverse();
  return discreteTimesteps(steps, spacing, numTrainTimesteps, stepsOffset);
}

/** ᾱ used for "the step before t = 0" (diffusers `final_alpha_cumprod`). */
export function finalAlphaCumprod(config: SchedulerConfig, alphas: Float64Array, classDefault: boolean): number {
  return (config.setAlphaToOne ?? classDefault) ? 1 : alphas[0];
}

/**
 * Every timestep must index the training schedule. Leading spacing plus steps_offset can overshoot
 * (1000 steps with offset 1 would start at t = 1000), which diffusers answers with an IndexError.
 */
export function checkTimestepRange(timesteps: readonly number[], numTrainTimesteps: number, steps: number): void {
  const max = Math.max(...timesteps);
  const min = Math.min(...timesteps);
  if (max > numTrainTimesteps - 1 || min < 0) {
    throw new RangeError(`steps must be lower: ${steps} steps put a timestep at ${max > numTrainTimesteps - 1 ? max : min}, outside 0…${numTrainTimesteps - 1} of this model's schedule; use at most ${steps - 1} steps`);
  }
}

/** `steps` must be a positive integer no larger than the training schedule. */
export function checkSteps(steps: number, numTrainTimesteps: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > numTrainTimesteps) {
    throw new RangeError(`steps must be an integer from 1 to ${numTrainTimesteps}, got ${steps}`);
  }
}

/** √ᾱ·x₀ + √(1−ᾱ)·ε for a variance-preserving scheduler at cumulative alpha `alphaProd`. */
export function addNoiseVp(original: Float32Array, noise: Float32Array, alphaProd: number): Float32Array {
  const a = Math.sqrt(alphaProd);
  const b = Math.sqrt(1 - alphaProd);
  const out = new Float32Array(original.length);
  for (let i = 0; i < out.length; i++) out[i] = a * original[i] + b * noise[i];
  return out;
}

const KARRAS_RHO = 7;

/** Karras et al. (2022) σ ramp between the model's σ_max and σ_min. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  const minInv = sigmaMin ** (1 / KARRAS_RHO);
  const maxInv = sigmaMax ** (1 / KARRAS_RHO);
  return linspace(0, 1, steps).map((r) => (maxInv + r * (minInv - maxInv)) ** KARRAS_RHO);
}

/** diffusers `_sigma_to_t`: interpolate the timestep of σ in log-σ over the training schedule. */
export function sigmaToTimestep(sigma: number, logSigmas: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigma - logSigmas[i] >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const w = Math.min(1, Math.max(0, (logSigmas[low] - logSigma) / (logSigmas[low] - logSigmas[low + 1])));
  return (1 - w) * low + w * (low + 1);
}
