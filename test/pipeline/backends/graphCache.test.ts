/**
 * The optimised-graph cache: the first CPU open saves the optimised graph, later opens load it (same
 * output), a changed source gets a new entry and loses the stale one, and it stays out of the way when off.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSession, type Session, type SessionStats } from '../../../src/pipeline/backends/onnx';
import { graphCacheOptions, planGraphCache, type GraphCacheOptions } from '../../../src/pipeline/backends/graphCache';
import { GaussianNoise } from '../../../src/pipeline/random/gaussian';
import { quietLog, tinyModel } from '../../helpers/fixtures';

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-graph-cache-'));
  temps.push(dir);
  return dir;
}

const stats: SessionStats = { runs: 0, runMs: 0 };
const runtime = { ortVersion: 'test', provider: 'cpu' };

async function runUnet(session: Session): Promise<Float32Array> {
  const noise = new GaussianNoise(9);
  const out = await session.run({
    sample: { type: 'float32', data: noise.normal(4 * 8 * 8), dims: [1, 4, 8, 8] },
    timestep: session.inputs.find((i) => i.name === 'timestep')?.type === 'int64' ? { type: 'int64', data: BigInt64Array.of(500n), dims: [1] } : { type: 'float32', data: Float32Array.of(500), dims: [1] },
    encoder_hidden_states: { type: 'float32', data: noise.normal(77 * 32), dims: [1, 77, 32] },
  });
  return Object.values(out)[0].data as Float32Array;
}

/** A private copy of the tiny UNet folder, so its files can be touched. */
function unetCopy(): string {
  const dir = tempDir();
  cpSync(path.join(tinyModel(), 'unet'), path.join(dir, 'unet'), { recursive: true });
  return path.join(dir, 'unet', 'model.onnx');
}

function entries(root: string): string[] {
  return readdirSync(root).flatMap((source) => readdirSync(path.join(root, source)).map((key) => `${source}/${key}`));
}

describe('optimised-graph cache', () => {
  it('saves the optimised graph on the first open and loads it on the next, with the same output', async () => {
    const file = unetCopy();
    const cache: GraphCacheOptions = { root: tempDir(), minBytes: 0 };
    const probe = planGraphCache(file, runtime, cache);
    expect(probe.kind).toBe('miss');
    if (probe.kind === 'miss') probe.abort();
    const first = await openSession(file, { preference: 'cpu', stats, log: quietLog, graphCache: cache });
    const fresh = await runUnet(first);
    await first.release();
    const [entry] = entries(cache.root as string);
    expect(existsSync(path.join(cache.root as string, entry, 'model.onnx'))).toBe(true);
    const plan = planGraphCache(file, { ortVersion: (require('onnxruntime-node/package.json') as { version: string }).version, provider: 'cpu' }, cache);
    expect(plan.kind).toBe('hit');
    const second = await openSession(file, { preference: 'cpu', stats, log: quietLog, graphCache: cache });
    const cached = await runUnet(second);
    await second.release();
    let diff = 0;
    for (let i = 0; i < fresh.length; i++) diff = Math.max(diff, Math.abs(fresh[i] - cached[i]));
    expect(diff).toBeLessThanOrEqual(1e-5);
    expect(entries(cache.root as string)).toEqual([entry]);
  });

  it('gives a changed source a new entry and removes the stale one', async () => {
    const file = unetCopy();
    const cache: GraphCacheOptions = { root: tempDir(), minBytes: 0 };
    await (await openSession(file, { preference: 'cpu', stats, log: quietLog, graphCache: cache })).release();
    const before = entries(cache.root as string);
    expect(before).toHaveLength(1);
    const later = new Date(Date.now() + 60_000);
    utimesSync(file, later, later);
    const probe = planGraphCache(file, runtime, cache);
    expect(probe.kind).toBe('miss');
    if (probe.kind === 'miss') probe.abort();
    const reopened = await openSession(file, { preference: 'cpu', stats, log: quietLog, graphCache: cache });
    await reopened.release();
    const after = entries(cache.root as string);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
  });

  it('stays off when turned off, for small graphs and for other providers', () => {
    const file = unetCopy();
    expect(graphCacheOptions({ ATELIER_GRAPH_CACHE: 'off' }).root).toBeUndefined();
    expect(graphCacheOptions({ ATELIER_GRAPH_CACHE_DIR: '/x/y' }).root).toBe('/x/y');
    const root = tempDir();
    expect(planGraphCache(file, runtime, { root: undefined, minBytes: 0 }).kind).toBe('off');
    expect(planGraphCache(file, runtime, { root, minBytes: 1e12 }).kind).toBe('off');
    expect(planGraphCache(file, { ...runtime, provider: 'cuda' }, { root, minBytes: 0 }).kind).toBe('off');
    expect(readdirSync(root)).toEqual([]);
  });
});
