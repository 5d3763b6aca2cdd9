import { describe, expect, it } from 'vitest';
import { parseSchedulerConfig } from '../../../src/pipeline/schedulers/config';
import { DdimScheduler } from '../../../src/pipeline/schedulers/ddim';
import { EulerScheduler } from '../../../src/pipeline/schedulers/euler';
import { EulerAncestralScheduler } from '../../../src/pipeline/schedulers/eulerAncestral';
import { DpmSolverMultistepScheduler } from '../../../src/pipeline/schedulers/dpmSolverMultistep';
import { LcmScheduler } from '../../../src/pipeline/schedulers/lcm';
import { PndmScheduler } from '../../../src/pipeline/schedulers/pndm';
import { dynamicThreshold } from '../../../src/pipeline/schedulers/sampleClipping';
import { SD_HUB_SCHEDULER } from '../../fixtures/onnx/modelFolder';
import { sdSchedulerConfig } from './sdConfig';

/** ᾱ_t of SD's scaled_linear schedule, computed directly from its definition. */
function alphaBar(t: number): number {
  const a = Math.sqrt(0.00085);
  const b = Math.sqrt(0.012);
  let product = 1;
  for (let i = 0; i <= t; i++) product *= 1 - (a + ((b - a) * i) / 999) ** 2;
  return product;
}

/** SD's hub config without some keys, as a config written by build_model.py (no clip_sample) reads. */
function withoutKeys(...keys: string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...SD_HUB_SCHEDULER };
  for (const key of keys) delete copy[key];
  return copy;
}

describe('scheduler config keys read as diffusers reads them', () => {
  it('keys whose default depends on the class stay undefined when absent', () => {
    const c = parseSchedulerConfig(withoutKeys('set_alpha_to_one', 'clip_sample'));
    expect(c.clipSample).toBeUndefined();
    expect(c.setAlphaToOne).toBeUndefined();
    expect(c.finalSigmasType).toBeUndefined();
    expect([c.clipSampleRange, c.thresholding, c.dynamicThresholdingRatio, c.sampleMaxValue]).toEqual([1, false, 0.995, 1]);
    expect([c.lowerOrderFinal, c.eulerAtFinal, c.solverOrder, c.solverType, c.algorithmType]).toEqual([true, false, 2, 'midpoint', 'dpmsolver++']);
  });
  it('refuses wrong types and values, naming the key', () => {
    expect(() => parseSchedulerConfig({ ...SD_HUB_SCHEDULER, clip_sample: 'yes' })).toThrow(/clip_sample must be true or false/);
    expect(() => parseSchedulerConfig({ ...SD_HUB_SCHEDULER, final_sigmas_type: 'one' })).toThrow(/final_sigmas_type must be one of zero, sigma_min/);
    expect(() => parseSchedulerConfig({ ...SD_HUB_SCHEDULER, clip_sample_range: 0 })).toThrow(/clip_sample_range must be positive/);
  });
});

describe('DDIM clip_sample and thresholding', () => {
  // Last of 4 leading steps with steps_offset 1: t = 1, previous ᾱ = ᾱ₀ (set_alpha_to_one false).
  const x = new Float32Array([3, -0.5]);
  const eps = new Float32Array([0, 0]);
  const step = (overrides: Record<string, unknown>): Float32Array => {
    const s = new DdimScheduler(parseSchedulerConfig({ ...withoutKeys('clip_sample'), ...overrides }));
    s.setTimesteps(4);
    expect(s.timesteps).toEqual([751, 501, 251, 1]);
    return s.step(eps, 3, x).prevSample;
  };
  const scale = Math.sqrt(alphaBar(0)) / Math.sqrt(alphaBar(1));

  it('clips x₀ to [−1, 1] when the config omits clip_sample (DDIMScheduler default true)', () => {
    const out = step({});
    expect(out[0]).toBeCloseTo(Math.sqrt(alphaBar(0)) * 1, 6);
    expect(out[1]).toBeCloseTo(-0.5 * scale, 6);
  });
  it('does not clip with clip_sample false', () => {
    const out = step({ clip_sample: false });
    expect(out[0]).toBeCloseTo(3 * scale, 6);
  });
  it('clips to clip_sample_range', () => {
    expect(step({ clip_sample_range: 2 })[0]).toBeCloseTo(Math.sqrt(alphaBar(0)) * 2, 6);
  });
  it('clips x₀ but re-noises with the model ε, not one recomputed from the clipped x₀', () => {
    const s = new DdimScheduler(parseSchedulerConfig(withoutKeys('clip_sample')));
    s.setTimesteps(4);
    const t = 751;
    const prevT = 501;
    const sample = new Float32Array([2]);
    const e = new Float32Array([-1]);
    const x0 = Math.min(1, (2 - Math.sqrt(1 - alphaBar(t)) * -1) / Math.sqrt(alphaBar(t)));
    expect(x0).toBe(1);
    expect(s.step(e, 0, sample).prevSample[0]).toBeCloseTo(Math.sqrt(alphaBar(prevT)) * x0 + Math.sqrt(1 - alphaBar(prevT)) * -1, 5);
  });
  it('thresholding divides by the 0.995 quantile of |x₀|, held in [1, sample_max_value]', () => {
    const out = step({ thresholding: true, sample_max_value: 2.5, clip_sample: false });
    // |x₀| = [3·k, 0.5·k] with k = 1/√ᾱ₁; quantile 0.995 of two values: a + 0.995(b − a); clamped to ≤ 2.5.
    const k = 1 / Math.sqrt(alphaBar(1));
    const q = Math.min(2.5, Math.max(1, 0.5 * k + 0.995 * (3 * k - 0.5 * k)));
    expect(q).toBe(2.5);
    expect(out[0]).toBeCloseTo(Math.sqrt(alphaBar(0)) * (Math.min(q, 3 * k) / q), 6);
    expect(out[1]).toBeCloseTo((Math.sqrt(alphaBar(0)) * (-0.5 * k)) / q, 6);
  });
});

describe('dynamicThreshold', () => {
  it('uses torch.quantile linear interpolation and leaves samples within ±1 alone', () => {
    const x = Float32Array.from([0.1, -0.2, 0.3, 0.4, -0.5]);
    expect(Array.from(dynamicThreshold(x, 0.995, 1))).toEqual(Array.from(x));
    const big = Float32Array.from([1, -2, 3, 4, 5]);
    // sorted |x| = 1..5, position 0.5·4 = 2 → 3; clamp to ±3 then ÷3.
    expect(Array.from(dynamicThreshold(big, 0.5, 10))).toEqual(Array.from(Float32Array.from([1 / 3, -2 / 3, 1, 1, 1])));
    // position 0.6·4 = 2.4 → 3.4, then held at sample_max_value 3.2
    const held = dynamicThreshold(big, 0.6, 3.2);
    expect(held[4]).toBeCloseTo(1, 6);
    expect(held[2]).toBeCloseTo(3 / 3.2, 6);
  });
});

describe('set_alpha_to_one class defaults', () => {
  it('DDIM ends at ᾱ = 1 when the key is absent, PNDM at ᾱ₀', () => {
    const cfg = parseSchedulerConfig(withoutKeys('set_alpha_to_one', 'clip_sample'));
    const d = new DdimScheduler({ ...cfg, clipSample: false });
    d.setTimesteps(4);
    const x = new Float32Array([0.5]);
    const e = new Float32Array([0.2]);
    const x0 = (0.5 - Math.sqrt(1 - alphaBar(1)) * 0.2) / Math.sqrt(alphaBar(1));
    expect(d.step(e, 3, x).prevSample[0]).toBeCloseTo(x0, 6);
    const explicit = new DdimScheduler({ ...cfg, clipSample: false, setAlphaToOne: false });
    explicit.setTimesteps(4);
    expect(explicit.step(e, 3, x).prevSample[0]).toBeCloseTo(Math.sqrt(alphaBar(0)) * x0 + Math.sqrt(1 - alphaBar(0)) * 0.2, 6);
    const p = new PndmScheduler(cfg) as unknown as { finalAlpha: number };
    expect(p.finalAlpha).toBeCloseTo(alphaBar(0), 12);
    const l = new LcmScheduler(cfg) as unknown as { finalAlpha: number };
    expect(l.finalAlpha).toBe(1);
  });
  it('LCM does not clip by default but clips when clip_sample is true', () => {
    const run = (overrides: Record<string, unknown>) => {
      const s = new LcmScheduler(parseSchedulerConfig({ ...withoutKeys('clip_sample'), _class_name: 'LCMScheduler', ...overrides }));
      s.setTimesteps(1);
      return s.step(new Float32Array([0]), 0, new Float32Array([3])).prevSample[0];
    };
    const t = 999;
    const scaled = t * 10;
    const cSkip = 0.25 / (scaled * scaled + 0.25);
    const cOut = scaled / Math.sqrt(scaled * scaled + 0.25);
    expect(run({})).toBeCloseTo(cOut * (3 / Math.sqrt(alphaBar(t))) + cSkip * 3, 3);
    expect(run({ clip_sample: true })).toBeCloseTo(cOut * 1 + cSkip * 3, 6);
  });
});

describe('DPM++ 2M final_sigmas_type, lower_order_final, solver_type', () => {
  const sigmaMin = Math.sqrt((1 - alphaBar(0)) / alphaBar(0));
  it('"zero" (default, diffusers ≥ 0.26) ends at σ = 0; "sigma_min" at the σ of t = 0 (≤ 0.25)', () => {
    const zero = new DpmSolverMultistepScheduler(sdSchedulerConfig(), false);
    zero.setTimesteps(10);
    expect(zero.sigmas.at(-1)).toBe(0);
    const min = new DpmSolverMultistepScheduler(sdSchedulerConfig({ final_sigmas_type: 'sigma_min' }), true);
    min.setTimesteps(10);
    expect(min.sigmas.at(-1)).toBeCloseTo(sigmaMin, 10);
    expect(sigmaMin).toBeCloseTo(0.029167, 5);
  });

  /** Runs `steps` steps with prediction_type "sample" (model output = x₀) and returns the last update's input/output. */
  function runSample(overrides: Record<string, unknown>, steps: number): { last: number; before: number; sigmas: readonly number[] } {
    const s = new DpmSolverMultistepScheduler(sdSchedulerConfig({ prediction_type: 'sample', ...overrides }), false);
    s.setTimesteps(steps);
    let x = new Float32Array([1]);
    let before = 0;
    for (let i = 0; i < steps; i++) {
      before = x[0];
      x = s.step(new Float32Array([0.1 * (i + 1)]), i, x).prevSample as Float32Array<ArrayBuffer>;
    }
    return { last: x[0], before, sigmas: s.sigmas };
  }
  const vp = (sigma: number) => {
    const alpha = 1 / Math.sqrt(sigma * sigma + 1);
    return { alpha, sigmaT: sigma * alpha, lambda: Math.log(alpha) - Math.log(sigma * alpha) };
  };

  it('with sigma_min and ≥ 15 steps the final step is second order unless euler_at_final', () => {
    const steps = 20;
    const second = runSample({ final_sigmas_type: 'sigma_min' }, steps);
    const first = runSample({ final_sigmas_type: 'sigma_min', euler_at_final: true }, steps);
    const [s1, s0, t] = [vp(second.sigmas[steps - 2]), vp(second.sigmas[steps - 1]), vp(second.sigmas[steps])];
    const h = t.lambda - s0.lambda;
    const k = t.alpha * (Math.exp(-h) - 1);
    const [m1, m0] = [0.1 * (steps - 1), 0.1 * steps];
    const r0 = (s0.lambda - s1.lambda) / h;
    expect(second.last).toBeCloseTo((t.sigmaT / s0.sigmaT) * second.before - k * m0 - 0.5 * k * ((m0 - m1) / r0), 6);
    expect(first.last).toBeCloseTo((t.sigmaT / s0.sigmaT) * first.before - k * m0, 6);
    // heun replaces the midpoint correction
    const heun = runSample({ final_sigmas_type: 'sigma_min', solver_type: 'heun' }, steps);
    expect(heun.before).not.toBeCloseTo(second.before, 6);
  });
  it('short schedules (< 15) keep a first-order final step even at sigma_min (lower_order_final)', () => {
    const a = runSample({ final_sigmas_type: 'sigma_min' }, 10);
    const b = runSample({ final_sigmas_type: 'sigma_min', euler_at_final: true }, 10);
    expect(a.last).toBe(b.last);
    const c = runSample({ final_sigmas_type: 'sigma_min', lower_order_final: false }, 10);
    expect(c.last).not.toBe(a.last);
  });
  it('heun second-order update matches diffusers\' formula', () => {
    const s = new DpmSolverMultistepScheduler(sdSchedulerConfig({ prediction_type: 'sample', solver_type: 'heun' }), false);
    s.setTimesteps(5);
    const x0 = s.step(new Float32Array([0.1]), 0, new Float32Array([1])).prevSample;
    const x1 = s.step(new Float32Array([0.3]), 1, x0).prevSample;
    const [s1, s0, t] = [vp(s.sigmas[0]), vp(s.sigmas[1]), vp(s.sigmas[2])];
    const h = t.lambda - s0.lambda;
    const r0 = (s0.lambda - s1.lambda) / h;
    const d1 = (0.3 - 0.1) / r0;
    const expected = (t.sigmaT / s0.sigmaT) * x0[0] - t.alpha * (Math.exp(-h) - 1) * 0.3 + t.alpha * ((Math.exp(-h) - 1) / h + 1) * d1;
    expect(x1[0]).toBeCloseTo(expected, 6);
  });
  it('thresholds the data prediction when thresholding is set', () => {
    const s = new DpmSolverMultistepScheduler(sdSchedulerConfig({ prediction_type: 'sample', thresholding: true }), false);
    s.setTimesteps(1);
    expect(s.step(new Float32Array([5]), 0, new Float32Array([1])).prevSample[0]).toBeCloseTo(1, 6);
    const plain = new DpmSolverMultistepScheduler(sdSchedulerConfig({ prediction_type: 'sample' }), false);
    plain.setTimesteps(1);
    expect(plain.step(new Float32Array([5]), 0, new Float32Array([1])).prevSample[0]).toBeCloseTo(5, 6);
  });
  it('refuses algorithm types and orders it does not implement, naming the key', () => {
    expect(() => new DpmSolverMultistepScheduler(sdSchedulerConfig({ algorithm_type: 'sde-dpmsolver++' }), false)).toThrow(/algorithm_type "sde-dpmsolver\+\+" is not implemented/);
    expect(() => new DpmSolverMultistepScheduler(sdSchedulerConfig({ solver_order: 3 }), false)).toThrow(/solver_order 3/);
  });
});

describe('Euler use_karras_sigmas and final_sigmas_type', () => {
  it('Karras 20 (linspace): the reference Karras σ ramp, continuous timesteps through log σ', () => {
    const s = new EulerScheduler(sdSchedulerConfig({ _class_name: 'EulerDiscreteScheduler', use_karras_sigmas: true }));
    s.setTimesteps(20);
    const dpm = new DpmSolverMultistepScheduler(sdSchedulerConfig(), true);
    dpm.setTimesteps(20);
    s.sigmas.forEach((sigma, i) => expect(sigma).toBeCloseTo(dpm.sigmas[i], 10));
    expect(s.timesteps.map((t) => Math.round(t))).toEqual(dpm.timesteps);
    expect(s.timesteps.some((t) => !Number.isInteger(t))).toBe(true);
    expect(s.initNoiseSigma).toBeCloseTo(14.6146, 4);
  });
  it('without the key the schedule stays the interpolated one', () => {
    const s = new EulerScheduler(sdSchedulerConfig({ _class_name: 'EulerDiscreteScheduler' }));
    s.setTimesteps(20);
    expect(s.sigmas[1]).toBeCloseTo(10.74684, 5);
  });
  it('final_sigmas_type "sigma_min" ends at σ(t = 0); Euler ancestral ignores both keys', () => {
    const s = new EulerScheduler(sdSchedulerConfig({ final_sigmas_type: 'sigma_min' }));
    s.setTimesteps(4);
    expect(s.sigmas.at(-1)).toBeCloseTo(Math.sqrt((1 - alphaBar(0)) / alphaBar(0)), 10);
    const a = new EulerAncestralScheduler(sdSchedulerConfig({ final_sigmas_type: 'sigma_min', use_karras_sigmas: true }));
    a.setTimesteps(4);
    expect(a.sigmas.at(-1)).toBe(0);
    const plain = new EulerAncestralScheduler(sdSchedulerConfig());
    plain.setTimesteps(4);
    expect(a.sigmas).toEqual(plain.sigmas);
  });
});
