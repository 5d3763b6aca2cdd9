import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../../src/host/backend/backend';
import type { GenerationJob } from '../../../src/host/jobs/job';
import { findRecipes } from '../../../src/host/recipes/loadRecipes';
import { runBuild, type BuildOptions } from '../../../src/host/recipes/runBuild';
import { PipelineError } from '../../../src/shared/errors';
import type { GenerationResult } from '../../../src/shared/request';

/** A backend that paints a flat colour from the prompt's length, and counts its jobs. */
function fakeBackend(provider: 'cpu' | 'cuda' = 'cpu', fail?: string): Backend & { jobs: GenerationJob[] } {
  const jobs: GenerationJob[] = [];
  return {
    jobs,
    capabilities: () => ({ backend: 'local', kinds: ['txt2img', 'img2img'], controlNets: false, loras: false, upscale: false, previews: false }),
    listModels: async () => [],
    upscale: async () => {
      throw new Error('not here');
    },
    generate: async (job) => {
      jobs.push(job);
      if (fail && job.request.prompt === fail) throw new PipelineError('INVALID_INPUT', `cannot paint ${fail}`);
      const r = job.request;
      const width = r.kind === 'txt2img' ? r.width : 64;
      const height = r.kind === 'txt2img' ? r.height : 64;
      const png = await sharp({ create: { width, height, channels: 3, background: { r: r.prompt.length * 10, g: 100, b: 50 } } }).png().toBuffer();
      return { png: new Uint8Array(png), width, height, seed: r.sampling.seed, sampler: 'euler', steps: r.sampling.steps, executionProvider: provider, modelFamily: 'test', warnings: [], timings: { totalMs: 1 }, workerRssBytes: 0, workerPeakRssBytes: 0, restartRecommended: false, controlNets: [] } as unknown as GenerationResult;
    },
  };
}

function workspace(): { root: string; model: string; write: (rel: string, value: unknown) => void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'atelier-run-'));
  const model = mkdtempSync(path.join(os.tmpdir(), 'atelier-model-'));
  writeFileSync(path.join(model, 'model_index.json'), '{"v":1}');
  const write = (rel: string, value: unknown): void => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), JSON.stringify(value));
  };
  return { root, model, write };
}
const recipe = (prompt: string, patch: Record<string, unknown> = {}): Record<string, unknown> => ({ version: 1, model: { path: 'unused' }, prompt, seed: 1, steps: 2, width: 64, height: 64, ...patch });

async function build(ws: ReturnType<typeof workspace>, backend: Backend, patch: Partial<BuildOptions> = {}) {
  const report = await runBuild({
    root: ws.root,
    recipes: await findRecipes([ws.root]),
    resolveModel: async () => ({ dir: ws.model, name: 'm' }),
    backend: () => backend,
    mode: 'build',
    force: false,
    executionProvider: 'auto',
    controlNetRoots: [],
    writeMetadata: true,
    ...patch,
  });
  return { ...report, by: Object.fromEntries(report.items.map((i) => [i.image, i])) };
}

describe('runBuild', () => {
  it('a changed outputs block re-derives files without generating', async () => {
    const ws = workspace();
    ws.write('a.atelier.json', recipe('a'));
    const backend = fakeBackend();
    const first = await build(ws, backend);
    expect(first.by['a.png'].problems).toEqual([]);
    expect(first.by['a.png'].outcome).toBe('built');
    ws.write('a.atelier.json', recipe('a', { outputs: { formats: ['webp'] } }));
    const second = await build(ws, backend);
    expect(second.by['a.png']).toMatchObject({ outcome: 'derived', written: ['a.webp'] });
    expect(backend.jobs).toHaveLength(1);
  });

  it('a changed model is reported and not rebuilt; --force rebuilds; a new provider is noted', async () => {
    const ws = workspace();
    ws.write('a.atelier.json', recipe('a'));
    await build(ws, fakeBackend());
    writeFileSync(path.join(ws.model, 'model_index.json'), '{"v":2}');
    const cuda = fakeBackend('cuda');
    const blocked = await build(ws, cuda);
    expect(blocked.ok).toBe(false);
    expect(blocked.by['a.png']).toMatchObject({ outcome: 'blocked', state: 'model-changed' });
    expect(cuda.jobs).toHaveLength(0);
    const forced = await build(ws, cuda, { force: true });
    expect(forced.by['a.png'].outcome).toBe('built');
    expect(forced.by['a.png'].notes).toEqual(['built on cuda; it was built on cpu before, so results may differ']);
  });

  it('an image that another recipe reads is built first, and its change rebuilds the reader', async () => {
    const ws = workspace();
    ws.write('z-base.atelier.json', recipe('base'));
    ws.write('a-derived.atelier.json', recipe('derived', { init: { image: { path: 'z-base.png' }, strength: 0.5 } }));
    const backend = fakeBackend();
    const first = await build(ws, backend);
    expect(first.items.map((i) => [i.image, i.outcome])).toEqual([['z-base.png', 'built'], ['a-derived.png', 'built']]);
    ws.write('z-base.atelier.json', recipe('base, brighter'));
    const second = await build(ws, backend);
    expect(second.items.map((i) => [i.image, i.outcome, i.reasons.join()])).toEqual([['z-base.png', 'built', 'recipe changed'], ['a-derived.png', 'built', 'input z-base.png was rebuilt']]);
  });

  it('one failure does not stop the rest; a reader of a failed image fails with the reason', async () => {
    const ws = workspace();
    ws.write('a.atelier.json', recipe('boom'));
    ws.write('b.atelier.json', recipe('fine'));
    ws.write('c.atelier.json', recipe('reader', { init: { image: { path: 'a.png' } } }));
    const report = await build(ws, fakeBackend('cpu', 'boom'));
    expect(report.ok).toBe(false);
    expect(report.by['a.png']).toMatchObject({ outcome: 'failed', problems: ['a.atelier.json: Invalid setting: cannot paint boom.'] });
    expect(report.by['b.png'].outcome).toBe('built');
    expect(report.by['c.png']).toMatchObject({ outcome: 'failed', problems: ['c.atelier.json: needs the image of a.atelier.json, which failed'] });
  });

  it('a cancelled build keeps what was built and marks the rest cancelled', async () => {
    const ws = workspace();
    ws.write('a.atelier.json', recipe('a'));
    ws.write('b.atelier.json', recipe('b'));
    const abort = new AbortController();
    const report = await build(ws, fakeBackend(), { signal: abort.signal, onItem: () => abort.abort() });
    expect(report.items.map((i) => i.outcome)).toEqual(['built', 'cancelled']);
    expect(report.ok).toBe(false);
    expect((await build(ws, fakeBackend())).items.map((i) => i.outcome)).toEqual(['up-to-date', 'built']);
  });
});
