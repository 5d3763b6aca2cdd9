import { describe, expect, it } from 'vitest';
import { ModelCache } from '../../../src/pipeline/runtime/modelCache';
import type { LoadedModel } from '../../../src/pipeline/runtime/loadedModel';

function fakeLoader(log: string[]): (dir: string) => Promise<LoadedModel> {
  return async (dir: string) => {
    log.push(`load ${dir}`);
    return { folder: { dir }, release: async () => void log.push(`release ${dir}`) } as unknown as LoadedModel;
  };
}

describe('model cache', () => {
  it('keeps one model warm, releases it before loading another, and reloads on a provider change', async () => {
    const log: string[] = [];
    const cache = new ModelCache(() => undefined, fakeLoader(log));
    expect((await cache.get('/models/a', 'cpu')).loaded).toBe(true);
    expect((await cache.get('/models/a', 'cpu')).loaded).toBe(false);
    await cache.get('/models/b', 'cpu');
    await cache.get('/models/b', 'auto');
    await cache.release();
    expect(log).toEqual(['load /models/a', 'release /models/a', 'load /models/b', 'release /models/b', 'load /models/b', 'release /models/b']);
    expect(cache.restartRecommended()).toBe(false);
  });
});
