import { describe, expect, it } from 'vitest';
import { CrashPolicy } from '../../../src/host/worker/crashPolicy';
import { describeWorkerExit } from '../../../src/host/worker/crashDescription';

describe('crash policy', () => {
  it('backs off 1 s, 2 s, 4 s between consecutive crashes and resets after a success', () => {
    const p = new CrashPolicy();
    p.recordCrash(0);
    expect(p.delayBeforeSpawn(0)).toBe(1000);
    expect(p.delayBeforeSpawn(600)).toBe(400);
    p.recordCrash(10_000);
    expect(p.delayBeforeSpawn(10_000)).toBe(2000);
    p.recordSuccess();
    expect(p.delayBeforeSpawn(10_000)).toBe(0);
  });
  it('gives up at 3 crashes within 5 minutes, not when they are spread out', () => {
    const p = new CrashPolicy();
    [0, 60_000, 120_000].forEach((t) => p.recordCrash(t));
    expect(p.gaveUp(120_000)).toBe(true);
    expect(p.gaveUp(300_001)).toBe(false);
    const q = new CrashPolicy();
    [0, 200_000, 400_000].forEach((t) => q.recordCrash(t));
    expect(q.gaveUp(400_000)).toBe(false);
  });
});

describe('worker exit descriptions', () => {
  it.each([
    [null, 'SIGKILL', '', 'WORKER_CRASHED', 'killed (SIGKILL), most likely by the system running out of memory'],
    [null, 'SIGSEGV', '', 'WORKER_CRASHED', 'crashed inside native code (SIGSEGV)'],
    [null, 'SIGABRT', 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', 'OUT_OF_MEMORY', 'ran out of memory'],
    [3221225477, null, '', 'WORKER_CRASHED', 'access violation'],
    [1, null, '', 'WORKER_CRASHED', 'exited unexpectedly with code 1'],
  ] as const)('code %s signal %s', (code, signal, stderr, expectedCode, text) => {
    const error = describeWorkerExit(code, signal, stderr);
    expect(error.code).toBe(expectedCode);
    expect(error.message).toContain(text);
  });
});
