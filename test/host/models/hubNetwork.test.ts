/**
 * Nothing hangs: Hubs that never answer, trickle or stall mid-body get a timeout naming the host (the
 * partial is kept for a resume); redirects leave http(s) only with a clear refusal; a cancel while a body
 * arrives is a cancel; concurrent pulls of one repo take turns through a cross-process lock.
 * The timeouts are set small here (never so small that a loaded machine's prompt local answers hit them);
 * no test asserts how long anything took.
 */
import { mkdirSync, mkdtempSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoCache } from '../../../src/host/models/hub/cacheLayout';
import { lockPath, STALE_MS } from '../../../src/host/models/hub/blobLock';
import type { NetworkTimeouts } from '../../../src/host/models/hub/http';
import { pullModel, type PullOptions } from '../../../src/host/models/hub/pull';
import { parseRepoRef } from '../../../src/host/models/hub/repoId';
import { oracleModel } from '../../helpers/fixtures';
import { startHub, type TestHub } from '../../helpers/hubServer';

const COMMIT = 'a'.repeat(39) + '1';
const REPO = 'atelier/oracle';
let hub: TestHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-net-'));

async function serve(): Promise<TestHub> {
  hub = await startHub([{ repo: REPO, commits: { [COMMIT]: oracleModel() }, refs: { main: COMMIT } }]);
  return hub;
}

/** Short enough to keep the tests quick, long enough that a loaded machine's local answers never hit them. */
const SILENT = { connectMs: 2000, idleMs: 60_000 };
const STALLED = { connectMs: 30_000, idleMs: 1000 };
function options(h: TestHub, cacheRoot: string, extra: Partial<PullOptions> = {}, timeouts?: NetworkTimeouts): PullOptions {
  return { connection: { endpoint: h.endpoint, timeouts }, cacheRoot, concurrency: 1, ...extra };
}

const host = (h: TestHub): string => new URL(h.endpoint).host;
const partials = (cacheRoot: string): string[] => {
  const blobs = repoCache(cacheRoot, REPO).blobs;
  try {
    return readdirSync(blobs).filter((b) => b.endsWith('.incomplete') && statSync(path.join(blobs, b)).size > 0);
  } catch {
    return [];
  }
};

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('network timeouts', () => {
  it('a Hub that never answers the API fails with a connect timeout naming the host and the settings', async () => {
    const h = await serve();
    h.faults.neverAnswer = 'api';
    await expect(pullModel(parseRepoRef(REPO), options(h, temp(), {}, SILENT))).rejects.toMatchObject({
      code: 'NETWORK_FAILED',
      message: expect.stringMatching(new RegExp(`^${host(h)} did not answer within 2 s \\(connect timeout\\); .*atelier\\.network\\.connectTimeout.*--connect-timeout or ATELIER_CONNECT_TIMEOUT`)),
    });
  });

  it('a file server that never answers: connect timeout, without retrying the silence', async () => {
    const h = await serve();
    h.faults.neverAnswer = 'files';
    await expect(pullModel(parseRepoRef(REPO), options(h, temp(), {}, SILENT))).rejects.toMatchObject({ code: 'NETWORK_FAILED', message: expect.stringContaining('did not answer within 2 s (connect timeout)') });
    const resolves = h.requests.filter((r) => r.url.includes('/resolve/'));
    expect(resolves.length).toBeLessThanOrEqual(1);
  });

  it('a body trickling a byte at a time fails with an idle timeout; the partial is kept and the next pull resumes it', async () => {
    const h = await serve();
    h.faults.slowChunkBytes = 1;
    const cache = temp();
    await expect(pullModel(parseRepoRef(REPO), options(h, cache, {}, STALLED))).rejects.toMatchObject({
      code: 'NETWORK_FAILED',
      message: expect.stringMatching(/sent \d+ bytes in the last 1 s, fewer than the 1024 required \(idle timeout\); .*atelier\.network\.idleTimeout.*the partial file is kept and the next pull resumes it/),
    });
    const [partial] = partials(cache);
    expect(partial).toBeDefined();
    const kept = statSync(path.join(repoCache(cache, REPO).blobs, partial)).size;
    h.faults.slowChunkBytes = undefined;
    await pullModel(parseRepoRef(REPO), options(h, cache));
    expect(h.requests.some((r) => r.range === `bytes=${kept}-` && r.status === 206)).toBe(true);
    expect(partials(cache)).toEqual([]);
  });

  it('a body that stalls mid-file fails with an idle timeout naming the host and the file, keeping the partial', async () => {
    const h = await serve();
    h.faults.stallAfterBytes = { path: 'unet/model.onnx', bytes: 1000 }; // of 10 kB: every resume gets 1000 more, then stalls
    const cache = temp();
    await expect(pullModel(parseRepoRef(REPO), options(h, cache, {}, STALLED))).rejects.toMatchObject({
      code: 'NETWORK_FAILED',
      message: expect.stringMatching(/\(idle timeout\).*while downloading unet\/model\.onnx; the partial file is kept/),
    });
    expect(partials(cache)).toHaveLength(1);
  });

  it('a redirect to file:// is refused by name, not "Protocol not supported"', async () => {
    const h = await serve();
    h.faults.redirect = { path: 'model_index.json', location: 'file:///etc/passwd' };
    await expect(pullModel(parseRepoRef(REPO), options(h, temp()))).rejects.toMatchObject({
      code: 'NETWORK_FAILED',
      message: `a redirect from ${host(h)} file:///etc/passwd is not an http or https address; refused`,
    });
    await expect(pullModel(parseRepoRef(REPO), { connection: { endpoint: 'file:///tmp/hub' }, cacheRoot: temp() })).rejects.toMatchObject({ code: 'NETWORK_FAILED', message: expect.stringContaining('is not an http or https address') });
  });

  it('a cancel while an API body is arriving is a cancel that names the download', async () => {
    const h = await serve();
    h.faults.slowApiChunkBytes = 1;
    const abort = new AbortController();
    const job = pullModel(parseRepoRef(REPO), options(h, temp(), { signal: abort.signal }));
    await until(() => h.requests.length > 0);
    abort.abort();
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED', message: `the download of ${REPO} was cancelled; the partial files are kept and the next pull resumes them` });
  });
});

/** A served repo, an empty cache, the repo's blob hashes (from a pull elsewhere) and where each blob's lock goes. */
async function lockScene(): Promise<{ h: TestHub; cache: string; hashes: string[]; lock: (hash: string) => string }> {
  const h = await serve();
  const cache = temp();
  const first = await pullModel(parseRepoRef(REPO), options(h, temp()));
  const hashes = readdirSync(path.join(path.dirname(path.dirname(first.dir)), 'blobs'));
  const lock = (hash: string): string => lockPath(cache, path.basename(repoCache(cache, REPO).root), hash);
  mkdirSync(path.dirname(lock(hashes[0])), { recursive: true });
  return { h, cache, hashes, lock };
}

describe('concurrent pulls of one repo', () => {
  it('take turns through the lock: both succeed, each file is written once', async () => {
    const h = await serve();
    h.faults.slowChunkBytes = 64 * 1024;
    const cache = temp();
    const both = await Promise.all([
      pullModel(parseRepoRef(REPO), options(h, cache, { concurrency: 3 })),
      pullModel(parseRepoRef(REPO), options(h, cache, { concurrency: 3 })),
    ]);
    expect(both[0].dir).toBe(both[1].dir);
    expect(partials(cache)).toEqual([]);
    const blobs = repoCache(cache, REPO).blobs;
    expect(readdirSync(blobs).every((b) => !b.endsWith('.incomplete'))).toBe(true);
    const files = h.requests.filter((r) => (r.url.includes('/resolve/') && r.status !== 302) || r.host === 'cdn');
    expect(files.length).toBe(readdirSync(blobs).length);
  });

  it('a lock left by a process that is gone, or untouched for too long, is taken over', async () => {
    const { h, cache, hashes, lock } = await lockScene();
    writeFileSync(lock(hashes[0]), JSON.stringify({ pid: 4_194_999, host: os.hostname(), token: 'x' }));
    const old = (Date.now() - STALE_MS - 5000) / 1000;
    writeFileSync(lock(hashes[1]), JSON.stringify({ pid: process.pid, host: 'another-machine', token: 'y' }));
    utimesSync(lock(hashes[1]), old, old);
    await pullModel(parseRepoRef(REPO), options(h, cache));
    expect(readdirSync(path.dirname(lock(hashes[0])))).toEqual([]);
  });

  it('a live lock is waited for (and said so, naming the file and the process); a cancel while waiting is a cancel', async () => {
    const { h, cache, hashes, lock } = await lockScene();
    for (const hash of hashes) writeFileSync(lock(hash), JSON.stringify({ pid: process.pid, host: os.hostname(), token: 'held' }));
    const abort = new AbortController();
    const notices: string[] = [];
    const job = pullModel(parseRepoRef(REPO), options(h, cache, { signal: abort.signal, onNotice: (m) => notices.push(m) }));
    await until(() => notices.length > 0);
    expect(notices[0]).toMatch(new RegExp(`^waiting for another download of \\S+ \\(process ${process.pid} on ${os.hostname()}\\)$`));
    abort.abort();
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
