import { describe, expect, it } from 'vitest';
import { EulerScheduler } from '../../../src/pipeline/schedulers/euler';
import { EulerAncestralScheduler } from '../../../src/pipeline/schedulers/eulerAncestral';
import { expectClose, sdSchedulerConfig } from './sdConfig';

describe('Euler', () => {
  it('20 linspace: reference timesteps, sigmas and init noise sigma', () => {
    const s = new EulerScheduler(sdSchedulerConfig({ _class_name: 'EulerDiscreteScheduler' }));
    s.setTimesteps(20);
    expectClose(s.timesteps.slice(0, 5), [999, 946.4211, 893.8421, 841.2632, 788.6842], 1e-4);
    expectClose(s.sigmas.slice(0, 5), [14.61464, 10.74684, 8.08153, 6.20495, 4.85566], 1e-5);
    expectClose(s.sigmas.slice(-3), [0.23217, 0.02917, 0], 1e-5);
    expect(s.initNoiseSigma).toBeCloseTo(14.61464, 5);
  });
  it('30 leading (SDXL): init noise sigma is √(σmax²+1)', () => {
    const s = new EulerScheduler(sdSchedulerConfig({ timestep_spacing: 'leading' }));
    s.setTimesteps(30);
    expectClose(s.timesteps.slice(0, 5), [958, 925, 892, 859, 826], 0);
    expectClose(s.sigmas.slice(0, 5), [11.47685, 9.54358, 8.00431, 6.76838, 5.76777], 1e-5);
    expectClose(s.sigmas.slice(-3), [0.18217, 0.04131, 0], 1e-5);
    expect(s.initNoiseSigma).toBeCloseTo(11.52033, 5);
  });
  it('trailing (SD-Turbo): 1 and 4 steps', () => {
    const s = new EulerScheduler(sdSchedulerConfig({ timestep_spacing: 'trailing' }));
    s.setTimesteps(1);
    expect(s.timesteps).toEqual([999]);
    expectClose(s.sigmas, [14.61464, 0], 1e-5);
    expect(s.initNoiseSigma).toBeCloseTo(14.61464, 5);
    s.setTimesteps(4);
    expect(s.timesteps).toEqual([999, 749, 499, 249]);
    expectClose(s.sigmas, [14.61464, 4.08173, 1.61289, 0.6932, 0], 1e-5);
  });
  it('scales the model input by 1/√(σ²+1)', () => {
    const s = new EulerScheduler(sdSchedulerConfig({ timestep_spacing: 'trailing' }));
    s.setTimesteps(1);
    const scaled = s.scaleModelInput(new Float32Array([14.6488135]), 0);
    expect(scaled[0]).toBeCloseTo(1, 5);
  });
  it('ancestral uses the same schedule and needs noise for non-final steps', () => {
    const s = new EulerAncestralScheduler(sdSchedulerConfig({ timestep_spacing: 'trailing' }));
    s.setTimesteps(4);
    expectClose(s.sigmas, [14.61464, 4.08173, 1.61289, 0.6932, 0], 1e-5);
    const x = new Float32Array([1, 2]);
    expect(() => s.step(new Float32Array([0, 0]), 0, x)).toThrow(/noise/);
    // Final step σ_to = 0: σ_up = 0, no noise needed, lands on x₀ = x − σ·ε.
    const last = s.step(new Float32Array([0.5, 0.5]), 3, x);
    expectClose([...last.prevSample], [1 - 0.6932 * 0.5, 2 - 0.6932 * 0.5], 1e-4);
  });
});
