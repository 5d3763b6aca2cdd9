import { describe, expect, it } from 'vitest';
import { alphasCumprod, discreteTimesteps, roundHalfEven, trainingSigmas } from '../../../src/pipeline/schedulers/noiseSchedule';
import { sdSchedulerConfig } from './sdConfig';

describe('noise schedule', () => {
  const alphas = alphasCumprod(sdSchedulerConfig());
  it('matches the reference ᾱ and σ at both ends', () => {
    expect(alphas[0]).toBeCloseTo(0.99915, 9);
    expect(Math.abs(alphas[999] - 0.0046600985)).toBeLessThan(1e-9);
    const sigmas = trainingSigmas(alphas);
    expect(Math.abs(sigmas[0] - 0.0291672)).toBeLessThan(1e-6);
    expect(Math.abs(sigmas[999] - 14.6146412)).toBeLessThan(1e-6);
  });
  it('linear and cosine schedules differ from scaled_linear', () => {
    const linear = alphasCumprod(sdSchedulerConfig({ beta_schedule: 'linear' }));
    const cosine = alphasCumprod(sdSchedulerConfig({ beta_schedule: 'squaredcos_cap_v2' }));
    expect(linear[500]).not.toBeCloseTo(alphas[500], 3);
    expect(cosine[500]).not.toBeCloseTo(alphas[500], 3);
  });
  it('rounds half to even like numpy', () => {
    expect([0.5, 1.5, 2.5, 499.5, -0.5].map(roundHalfEven)).toEqual([0, 2, 2, 500, 0]);
  });
  it('spaces DDIM timesteps leading, trailing and linspace', () => {
    const leading50 = discreteTimesteps(50, 'leading', 1000, 1);
    expect(leading50.slice(0, 3)).toEqual([981, 961, 941]);
    expect(leading50.at(-1)).toBe(1);
    expect(leading50[19]).toBe(601);
    expect(discreteTimesteps(20, 'leading', 1000, 1)).toEqual(Array.from({ length: 20 }, (_, i) => 951 - 50 * i));
    expect(discreteTimesteps(20, 'trailing', 1000, 1)).toEqual(Array.from({ length: 20 }, (_, i) => 999 - 50 * i));
    expect(discreteTimesteps(20, 'linspace', 1000, 1)).toEqual([
      999, 946, 894, 841, 789, 736, 684, 631, 578, 526, 473, 421, 368, 315, 263, 210, 158, 105, 53, 0,
    ]);
  });
});
