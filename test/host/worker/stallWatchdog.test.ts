/** The stall watchdog's limit follows the job's own step times, not a fixed total. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StallWatchdog } from '../../../src/host/worker/stallWatchdog';

afterEach(() => {
  vi.useRealTimers();
});

const progress = (phase: string, step: number) => ({ event: 'progress', payload: { phase, step, totalSteps: 100 } });

function watch(limits = { loadMs: 900_000, floorMs: 60_000, factor: 10 }): { dog: StallWatchdog; stalls: number[][]; advance: (ms: number) => void } {
  vi.useFakeTimers();
  let now = 0;
  const stalls: number[][] = [];
  const dog = new StallWatchdog(limits, (silent, slowest) => stalls.push([silent, slowest]), () => now);
  return {
    dog,
    stalls,
    advance: (ms) => {
      now += ms;
      vi.advanceTimersByTime(ms);
    },
  };
}

describe('stall watchdog', () => {
  it('before any step is measured (model load) the long limit applies', () => {
    const { dog, stalls, advance } = watch();
    dog.event(progress('loading', 0));
    advance(899_999);
    expect(stalls).toEqual([]);
    advance(1);
    expect(stalls).toEqual([[900_000, 0]]);
  });

  it('fast steps shrink the limit to the floor; a silent worker is caught long before the load limit', () => {
    const { dog, stalls, advance } = watch();
    dog.event(progress('loading', 0));
    advance(120_000); // a slow model load is not a step
    dog.event(progress('denoising', 1));
    for (let step = 2; step <= 5; step++) {
      advance(100);
      dog.event(progress('denoising', step));
    }
    expect(dog.limitMs).toBe(60_000);
    advance(59_999);
    expect(stalls).toEqual([]);
    advance(1);
    expect(stalls).toEqual([[60_000, 100]]);
  });

  it('slow steps (a 2048² job on CPU) get 10× the slowest step, and previews re-arm without measuring', () => {
    const { dog, stalls, advance } = watch();
    dog.event(progress('denoising', 1));
    advance(45_000);
    dog.event(progress('denoising', 2));
    advance(30_000);
    dog.event({ event: 'preview' });
    expect(dog.limitMs).toBe(450_000);
    advance(449_999);
    expect(stalls).toEqual([]);
    dog.event(progress('decoding', 0)); // a phase change is not a step
    expect(dog.limitMs).toBe(450_000);
    advance(450_000);
    expect(stalls).toEqual([[450_000, 45_000]]);
  });

  it('never allows more than the load limit, and stop() disarms', () => {
    const { dog, stalls, advance } = watch({ loadMs: 100_000, floorMs: 1000, factor: 10 });
    dog.event(progress('upscaling', 1));
    advance(50_000);
    dog.event(progress('upscaling', 2));
    expect(dog.limitMs).toBe(100_000);
    dog.stop();
    advance(1_000_000);
    expect(stalls).toEqual([]);
  });
});
