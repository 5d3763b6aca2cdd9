import { describe, expect, it } from 'vitest';
import { DpmSolverMultistepScheduler } from '../../../src/pipeline/schedulers/dpmSolverMultistep';
import { LcmScheduler, lcmBoundaryScalings } from '../../../src/pipeline/schedulers/lcm';
import { expectClose, sdSchedulerConfig } from './sdConfig';

describe('DPM++ 2M', () => {
  it('Karras 20: reference sigmas and timesteps', () => {
    const s = new DpmSolverMultistepScheduler(sdSchedulerConfig(), true);
    s.setTimesteps(20);
    expectClose(s.sigmas, [
      14.6146, 11.7254, 9.3402, 7.3836, 5.7894, 4.4998, 3.4647, 2.6408, 1.9909, 1.4832, 1.0908, 0.7909, 0.5647, 0.3964,
      0.273, 0.1842, 0.1213, 0.0779, 0.0485, 0.0292, 0,
    ], 1e-4);
    expect(s.timesteps).toEqual([999, 962, 921, 876, 827, 772, 710, 640, 561, 474, 380, 285, 197, 123, 69, 35, 15, 6, 2, 0]);
  });
  it('linspace 20 rounds 499.5 to 500', () => {
    const s = new DpmSolverMultistepScheduler(sdSchedulerConfig(), false);
    s.setTimesteps(20);
    expect(s.timesteps).toEqual([999, 949, 899, 849, 799, 749, 699, 649, 599, 549, 500, 450, 400, 350, 300, 250, 200, 150, 100, 50]);
  });
});

describe('LCM', () => {
  it('picks the reference timesteps from the 50-step origin grid', () => {
    const s = new LcmScheduler(sdSchedulerConfig({ _class_name: 'LCMScheduler' }));
    const cases: Array<[number, number[]]> = [
      [1, [999]],
      [2, [999, 499]],
      [4, [999, 759, 499, 259]],
      [8, [999, 879, 759, 639, 499, 379, 259, 139]],
    ];
    for (const [steps, expected] of cases) {
      s.setTimesteps(steps);
      expect(s.timesteps).toEqual(expected);
    }
  });
  it('boundary scalings at t=999', () => {
    const { cSkip, cOut } = lcmBoundaryScalings(999, 10);
    expect(Math.abs(cSkip - 2.505e-9)).toBeLessThan(1e-12);
    expect(Math.abs(cOut - 0.9999999987)).toBeLessThan(1e-10);
  });
});
