/** A frozen worker (SIGSTOP) never leaves a job waiting: a cancel kills it; silence past its step times is a TIMEOUT. */
import { afterEach, describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../../src/host/worker/pipelineClient';
import type { Txt2ImgRequest } from '../../../src/shared/request';
import { oracleModel, tinyModel } from '../../helpers/fixtures';
import { testSupervisor, type TestSupervisor } from '../../helpers/worker';

const request = (steps: number): Txt2ImgRequest => ({
  kind: 'txt2img',
  modelDir: tinyModel(),
  prompt: 'a lighthouse',
  negativePrompt: '',
  width: 128,
  height: 128,
  sampling: { sampler: 'euler', steps, guidanceScale: 1, seed: 3 },
  previewEvery: 0,
  executionProvider: 'cpu',
});

let current: TestSupervisor | undefined;
const frozen: number[] = [];
afterEach(async () => {
  await current?.supervisor.dispose();
  current = undefined;
  for (const pid of frozen.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Freezes the worker with SIGSTOP at denoising step 3, then calls `then`. */
function freezeAtStep3(supervisor: TestSupervisor['supervisor'], then: () => void = () => undefined): (e: PipelineEvent) => void {
  return (e) => {
    if (e.event !== 'progress' || e.payload.phase !== 'denoising' || e.payload.step !== 3 || frozen.length > 0) return;
    const pid = supervisor.pid;
    if (pid === undefined) return;
    frozen.push(pid);
    process.kill(pid, 'SIGSTOP');
    then();
  };
}

describe('a frozen worker', () => {
  it('a cancel it cannot answer kills it; the job is CANCELLED and the next job runs on a fresh worker', async () => {
    current = testSupervisor();
    const { supervisor } = current;
    const abort = new AbortController();
    const job = supervisor.generate(request(400), { signal: abort.signal, onEvent: freezeAtStep3(supervisor, () => abort.abort()) });
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED', message: 'generation was cancelled (the worker did not stop within 1 s, so it was ended; the next job starts a fresh one)' });
    const stopped = frozen[0];
    expect(alive(stopped)).toBe(false);
    await expect(supervisor.generate({ ...request(2), modelDir: oracleModel() })).resolves.toMatchObject({ width: 128 });
    expect(supervisor.pid).not.toBe(stopped);
    expect(current.logs.some((l) => l.startsWith('warn:') && l.includes('did not stop 1000 ms after the cancel'))).toBe(true);
  });

  it('without a cancel, silence well past its step times is a TIMEOUT (not the 15-minute load limit)', async () => {
    current = testSupervisor({ stallFloorMs: 500 });
    const { supervisor } = current;
    const job = supervisor.generate(request(400), { onEvent: freezeAtStep3(supervisor) });
    await expect(job).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/^the pipeline worker sent no progress for \d+ s \(its slowest step took [\d.]+ s\) and was stopped/) });
    expect(alive(frozen[0])).toBe(false);
  });
});
