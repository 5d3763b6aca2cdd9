import { describe, expect, it } from 'vitest';
import { DdimScheduler } from '../../../src/pipeline/schedulers/ddim';
import { PndmScheduler } from '../../../src/pipeline/schedulers/pndm';
import { sdSchedulerConfig } from './sdConfig';

describe('DDIM', () => {
  it('50 leading timesteps step by 20 from 981 to 1', () => {
    const s = new DdimScheduler(sdSchedulerConfig());
    s.setTimesteps(50);
    expect(s.timesteps).toHaveLength(50);
    expect(s.timesteps[0]).toBe(981);
    expect(s.timesteps[49]).toBe(1);
    expect(s.initNoiseSigma).toBe(1);
  });
  it('final step re-noises to ᾱ₀ unless set_alpha_to_one', () => {
    const eps = new Float32Array([1]);
    const x = new Float32Array([0.5]);
    const a = new DdimScheduler(sdSchedulerConfig());
    a.setTimesteps(20);
    const b = new DdimScheduler(sdSchedulerConfig({ set_alpha_to_one: true }));
    b.setTimesteps(20);
    const alphaT = 0.99915 * (1 - 0.00085 - 0); // ᾱ₁ ≈ ᾱ₀·(1−β₁), close enough for the sign checks below
    const x0 = (0.5 - Math.sqrt(1 - alphaT) * 1) / Math.sqrt(alphaT);
    expect(b.step(eps, 19, x).prevSample[0]).toBeCloseTo(x0, 2);
    expect(a.step(eps, 19, x).prevSample[0]).toBeGreaterThan(b.step(eps, 19, x).prevSample[0] + 0.01);
  });
});

describe('PNDM (PLMS)', () => {
  it('50 steps make 51 UNet calls with the second timestep repeated', () => {
    const s = new PndmScheduler(sdSchedulerConfig());
    s.setTimesteps(50);
    expect(s.timesteps).toHaveLength(51);
    expect(s.timesteps.slice(0, 4)).toEqual([981, 961, 961, 941]);
    expect(s.timesteps.at(-1)).toBe(1);
  });
  it('a constant ε gives the same update as DDIM at every call', () => {
    // PNDM never clips x₀; DDIM clips unless told not to (its class default), so compare with clipping off.
    const p = new PndmScheduler(sdSchedulerConfig({ set_alpha_to_one: true }));
    const d = new DdimScheduler(sdSchedulerConfig({ set_alpha_to_one: true, clip_sample: false }));
    p.setTimesteps(10);
    d.setTimesteps(10);
    const eps = new Float32Array([0.3, -0.7]);
    let xp: Float32Array = new Float32Array([1.2, -0.4]);
    let xd: Float32Array = new Float32Array([1.2, -0.4]);
    for (let i = 0; i < p.timesteps.length; i++) xp = p.step(eps, i, xp).prevSample;
    for (let i = 0; i < d.timesteps.length; i++) xd = d.step(eps, i, xd).prevSample;
    expect(xp[0]).toBeCloseTo(xd[0], 4);
    expect(xp[1]).toBeCloseTo(xd[1], 4);
  });
});

describe('timestep range', () => {
  it.each([
    ['DDIM', (c: ReturnType<typeof sdSchedulerConfig>) => new DdimScheduler(c)],
    ['PNDM', (c: ReturnType<typeof sdSchedulerConfig>) => new PndmScheduler(c)],
  ])('%s refuses 1000 leading steps with offset 1 (t = 1000 is off the schedule) but takes 999', (_n, make) => {
    const s = make(sdSchedulerConfig());
    expect(() => s.setTimesteps(1000)).toThrow('steps must be lower: 1000 steps put a timestep at 1000, outside 0…999');
    expect(() => s.setTimesteps(999)).not.toThrow();
    expect(Math.max(...s.timesteps)).toBe(999);
  });
});
