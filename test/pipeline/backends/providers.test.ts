import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSession, openWithPlan } from '../../../src/pipeline/backends/onnx';
import { planProviders } from '../../../src/pipeline/backends/providers';
import { oracleModel } from '../../helpers/fixtures';

describe('execution provider plan', () => {
  const linux = { platform: 'linux' as const, arch: 'x64', cudaLibrariesPresent: true };
  it.each([
    [linux, ['cuda', 'cpu']],
    [{ ...linux, cudaLibrariesPresent: false }, ['cpu']],
    [{ ...linux, arch: 'arm64' }, ['cpu']],
    [{ platform: 'win32' as const, arch: 'x64', cudaLibrariesPresent: false }, ['dml', 'cpu']],
    [{ platform: 'darwin' as const, arch: 'arm64', cudaLibrariesPresent: false }, ['coreml', 'cpu']],
  ])('auto on %o tries %o', (facts, candidates) => {
    expect(planProviders('auto', facts)).toEqual({ candidates, forced: false });
  });
  it('a named provider is tried alone', () => {
    expect(planProviders('cuda', linux)).toEqual({ candidates: ['cuda'], forced: true });
  });
});

describe('opening sessions', () => {
  const unet = (): string => path.join(oracleModel(), 'unet', 'model.onnx');
  it('a GPU provider that fails to initialise falls back to CPU, and the reason is logged', async () => {
    const logs: string[] = [];
    const session = await openWithPlan(unet(), { candidates: ['cuda', 'cpu'], forced: false }, { stats: { runs: 0, runMs: 0 }, log: (_l, m) => logs.push(m) });
    expect(session.provider).toBe('cpu');
    expect(logs.some((m) => m.includes('fallback') && m.includes('cuda:'))).toBe(true);
    await session.release();
  });
  it('a forced provider that cannot start is a PROVIDER_FAILED error naming the setting', async () => {
    await expect(openSession(unet(), { preference: 'cuda', stats: { runs: 0, runMs: 0 }, log: () => undefined })).rejects.toMatchObject({
      code: 'PROVIDER_FAILED',
      argument: 'executionProvider',
      message: expect.stringContaining('set atelier.executionProvider to "auto" or "cpu"'),
    });
  });
  it('reads the declared interface from inputMetadata', async () => {
    const session = await openSession(unet(), { preference: 'cpu', stats: { runs: 0, runMs: 0 }, log: () => undefined });
    expect(session.inputs.map((i) => [i.name, i.type, i.shape])).toEqual([
      ['sample', 'float32', ['batch', 4, 'height', 'width']],
      ['timestep', 'float32', ['batch']],
      ['encoder_hidden_states', 'float32', ['batch', 'sequence', 16]],
    ]);
    await session.release();
  });
});
