/** The Hub client against a local Hub (real HTTP on 127.0.0.1, no network). */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteCachedModel, listCachedModels } from '../../../src/host/models/cachedModels';
import { repoCache } from '../../../src/host/models/hub/cacheLayout';
import { pullModel, type PullOptions } from '../../../src/host/models/hub/pull';
import { parseRepoRef } from '../../../src/host/models/hub/repoId';
import { txt2img } from '../../../src/pipeline/pipelines/txt2img';
import { loadModel } from '../../../src/pipeline/runtime/loadedModel';
import { oracleModel, quietLog } from '../../helpers/fixtures';
import { GOOD_TOKEN, startHub, type HubRepo, type TestHub } from '../../helpers/hubServer';

const COMMIT_A = 'a'.repeat(39) + '1';
const COMMIT_B = 'b'.repeat(39) + '2';
let hub: TestHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-hub-'));

async function serve(repos: HubRepo[] = [{ repo: 'atelier/oracle', commits: { [COMMIT_A]: oracleModel() }, refs: { main: COMMIT_A } }]): Promise<TestHub> {
  hub = await startHub(repos);
  return hub;
}

function options(h: TestHub, cacheRoot: string, extra: Partial<PullOptions> = {}): PullOptions {
  return { connection: { endpoint: h.endpoint, token: GOOD_TOKEN }, cacheRoot, ...extra };
}

const fileRequests = (h: TestHub): number => h.requests.filter((r) => r.url.includes('/resolve/') || r.url.startsWith('/cdn/')).length;

async function generates(dir: string): Promise<void> {
  const model = await loadModel(dir, 'cpu', quietLog);
  try {
    const out = await txt2img(model, { kind: 'txt2img', modelDir: dir, prompt: 'a fox', negativePrompt: '', width: 64, height: 64, sampling: { sampler: 'euler', steps: 4, guidanceScale: 1, seed: 1 }, previewEvery: 0, executionProvider: 'cpu' });
    expect(out.image.length).toBe(3 * 64 * 64);
  } finally {
    await model.release();
  }
}

describe('pull', () => {
  it('downloads into the huggingface_hub layout, verifies, links the snapshot, and the model generates', async () => {
    const h = await serve();
    const cache = temp();
    const progress: number[] = [];
    const result = await pullModel(parseRepoRef('atelier/oracle'), options(h, cache, { onProgress: (p) => progress.push(p.doneBytes / p.totalBytes) }));
    const rc = repoCache(cache, 'atelier/oracle');
    expect(result.commit).toBe(COMMIT_A);
    expect(readFileSync(rc.ref('main'), 'utf8')).toBe(COMMIT_A);
    const unet = path.join(rc.snapshot(COMMIT_A), 'unet', 'model.onnx');
    expect(lstatSync(unet).isSymbolicLink()).toBe(true);
    expect(readlinkSync(unet)).toBe(`../../../blobs/${createHash('sha256').update(readFileSync(unet)).digest('hex')}`);
    expect(readdirSync(rc.blobs).some((b) => b.endsWith('.incomplete'))).toBe(false);
    expect(progress.at(-1)).toBe(1);
    // LFS files came through the CDN redirect, which never saw the token.
    const cdn = h.requests.filter((r) => r.host === 'cdn');
    expect(cdn.length).toBeGreaterThan(0);
    expect(cdn.every((r) => r.authorization === undefined)).toBe(true);
    expect(h.requests.filter((r) => r.host === 'hub').every((r) => r.authorization === `Bearer ${GOOD_TOKEN}`)).toBe(true);
    await generates(result.dir);
  });

  it('a second pull transfers no file', async () => {
    const h = await serve();
    const cache = temp();
    await pullModel(parseRepoRef('atelier/oracle'), options(h, cache));
    const before = fileRequests(h);
    const again = await pullModel(parseRepoRef('atelier/oracle@main'), options(h, cache));
    expect(fileRequests(h)).toBe(before);
    expect(again.fromCache).toBe(true);
    expect(again.downloadedBytes).toBe(0);
  });

  it('a connection dropped mid-file resumes with Range + If-Range and the hash matches', async () => {
    const h = await serve();
    h.faults.dropAfterBytes = { path: 'text_encoder/model.onnx', bytes: 100_000 };
    const cache = temp();
    const result = await pullModel(parseRepoRef('atelier/oracle'), options(h, cache, { concurrency: 1 }));
    const resumed = h.requests.find((r) => r.host === 'cdn' && /^bytes=[1-9]\d*-$/.test(r.range ?? ''));
    expect(resumed).toMatchObject({ status: 206 });
    expect(resumed?.ifRange).toMatch(/^"[0-9a-f]{64}"$/);
    await generates(result.dir);
  });

  it('a server that answers 200 to a Range request makes the file restart, not append', async () => {
    const h = await serve();
    h.faults.dropAfterBytes = { path: 'text_encoder/model.onnx', bytes: 100_000 };
    h.faults.ignoreRange = true;
    const cache = temp();
    const result = await pullModel(parseRepoRef('atelier/oracle'), options(h, cache, { concurrency: 1 }));
    expect(h.requests.find((r) => r.host === 'cdn' && /^bytes=[1-9]\d*-$/.test(r.range ?? ''))).toMatchObject({ status: 200 });
    const file = path.join(result.dir, 'text_encoder', 'model.onnx');
    expect(statSync(file).size).toBe(statSync(path.join(oracleModel(), 'text_encoder', 'model.onnx')).size);
    await generates(result.dir);
  });

  /** Leaves a full-length partial of unet/model.onnx in a fresh cache, with the given bytes. */
  function seedPartial(bytes: (source: Buffer) => Buffer): { cache: string; source: Buffer; sha: string; rc: ReturnType<typeof repoCache> } {
    const cache = temp();
    const source = readFileSync(path.join(oracleModel(), 'unet', 'model.onnx'));
    const rc = repoCache(cache, 'atelier/oracle');
    const sha = createHash('sha256').update(source).digest('hex');
    mkdirSync(rc.blobs, { recursive: true });
    writeFileSync(`${rc.blob(sha)}.incomplete`, bytes(source));
    return { cache, source, sha, rc };
  }

  it('416 for a partial that is already complete: verified and kept, no body transferred', async () => {
    const h = await serve();
    const { cache, source, sha, rc } = seedPartial((s) => s);
    await pullModel(parseRepoRef('atelier/oracle'), options(h, cache));
    expect(h.requests.find((r) => r.host === 'cdn' && r.url.endsWith(sha))).toMatchObject({ status: 416, range: `bytes=${source.length}-` });
    expect(readFileSync(rc.blob(sha)).equals(source)).toBe(true);
  });

  it('416 for a full-length partial with wrong bytes: the file restarts from zero', async () => {
    const h = await serve();
    const { cache, source, sha, rc } = seedPartial((s) => Buffer.alloc(s.length, 7));
    await pullModel(parseRepoRef('atelier/oracle'), options(h, cache));
    const cdn = h.requests.filter((r) => r.host === 'cdn' && r.url.endsWith(sha));
    expect(cdn.map((r) => r.status)).toEqual([416, 200]);
    expect(readFileSync(rc.blob(sha)).equals(source)).toBe(true);
  });

  it('wrong bytes are refused: the error names the file, the partial is removed, no blob is kept', async () => {
    const h = await serve();
    h.faults.corruptPath = 'unet/model.onnx';
    const cache = temp();
    await expect(pullModel(parseRepoRef('atelier/oracle'), options(h, cache))).rejects.toMatchObject({ code: 'INTEGRITY_FAILED', message: expect.stringContaining('atelier/oracle/unet/model.onnx failed verification') });
    const rc = repoCache(cache, 'atelier/oracle');
    const expectedSha = createHash('sha256').update(readFileSync(path.join(oracleModel(), 'unet', 'model.onnx'))).digest('hex');
    expect(existsSync(rc.blob(expectedSha))).toBe(false);
    expect(existsSync(`${rc.blob(expectedSha)}.incomplete`)).toBe(false);
  });

  it('a gated repo without a token says to accept the licence and set a token; with the token it works', async () => {
    const h = await serve([{ repo: 'atelier/gated', commits: { [COMMIT_A]: oracleModel() }, refs: { main: COMMIT_A }, gated: true }]);
    const cache = temp();
    await expect(pullModel(parseRepoRef('atelier/gated'), { connection: { endpoint: h.endpoint }, cacheRoot: cache })).rejects.toMatchObject({
      code: 'HUB_AUTH_REQUIRED',
      message: expect.stringMatching(/gated or private\. Accept its licence at http:\/\/127\.0\.0\.1:\d+\/atelier\/gated .*set a token/),
    });
    await expect(pullModel(parseRepoRef('atelier/gated'), options(h, cache))).resolves.toMatchObject({ commit: COMMIT_A });
  });

  it('cancel on a slow server keeps the partial, and the next pull resumes it', async () => {
    const h = await serve();
    h.faults.slowChunkBytes = 20_000;
    const cache = temp();
    const abort = new AbortController();
    const job = pullModel(parseRepoRef('atelier/oracle'), options(h, cache, { signal: abort.signal, concurrency: 1 }));
    await new Promise((r) => setTimeout(r, 600));
    abort.abort();
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED' });
    const rc = repoCache(cache, 'atelier/oracle');
    const partials = readdirSync(rc.blobs).filter((b) => b.endsWith('.incomplete'));
    expect(partials).toHaveLength(1);
    const kept = statSync(path.join(rc.blobs, partials[0])).size;
    expect(kept).toBeGreaterThan(0);
    h.faults.slowChunkBytes = undefined;
    const result = await pullModel(parseRepoRef('atelier/oracle'), options(h, cache));
    expect(h.requests.some((r) => r.range === `bytes=${kept}-` && r.status === 206)).toBe(true);
    await generates(result.dir);
  });

  it('too little free disk space fails before any byte is written, naming the bytes needed', async () => {
    const h = await serve();
    const cache = temp();
    await expect(pullModel(parseRepoRef('atelier/oracle'), options(h, cache, { freeBytes: async () => 1000 }))).rejects.toMatchObject({
      code: 'DISK_FULL',
      message: expect.stringMatching(/^not enough disk space for atelier\/oracle: \d+ bytes \(.*\) are needed but only 1000 bytes/),
    });
    expect(fileRequests(h)).toBe(0);
    expect(existsSync(path.join(cache, 'models--atelier--oracle', 'blobs'))).toBe(false);
  });

  it('a 10 GB file advertised while 1 GB is free is refused up front', async () => {
    const h = await serve();
    h.faults.advertisedLfsSize = 10 * 2 ** 30;
    await expect(pullModel(parseRepoRef('atelier/oracle'), options(h, temp(), { freeBytes: async () => 2 ** 30 }))).rejects.toMatchObject({ code: 'DISK_FULL', message: expect.stringContaining('only 1073741824 bytes (1.00 GiB) are free') });
    expect(fileRequests(h)).toBe(0);
  });

  it('a Content-Length larger than the advertised size is refused', async () => {
    const h = await serve();
    h.faults.contentLengthExtra = 1000;
    await expect(pullModel(parseRepoRef('atelier/oracle'), options(h, temp()))).rejects.toMatchObject({ code: 'INTEGRITY_FAILED', message: expect.stringMatching(/the server announced \d+ bytes .* but the file list says \d+; refused/) });
  });

  it('a tree listing naming a path that escapes the snapshot is refused', async () => {
    const h = await serve();
    h.faults.escapingTreePath = true;
    await expect(pullModel(parseRepoRef('atelier/oracle'), options(h, temp()))).rejects.toMatchObject({ code: 'MODEL_UNSAFE', message: expect.stringContaining('unet/../../../../etc/passwd') });
    expect(fileRequests(h)).toBe(0);
  });

  it('404 for an unknown repo or revision says what to check', async () => {
    const h = await serve();
    await expect(pullModel(parseRepoRef('atelier/nothing'), options(h, temp()))).rejects.toMatchObject({ code: 'HUB_NOT_FOUND', message: expect.stringContaining('check the repo id, revision') });
    await expect(pullModel(parseRepoRef('atelier/oracle@v9'), options(h, temp()))).rejects.toMatchObject({ code: 'HUB_NOT_FOUND' });
  });

  it('offline mode answers from the cache or says the model is missing', async () => {
    const h = await serve();
    const cache = temp();
    await expect(pullModel(parseRepoRef('atelier/oracle'), options(h, cache, { offline: true }))).rejects.toMatchObject({ code: 'HUB_OFFLINE' });
    await pullModel(parseRepoRef('atelier/oracle'), options(h, cache));
    const count = h.requests.length;
    const offline = await pullModel(parseRepoRef('atelier/oracle'), options(h, cache, { offline: true }));
    expect(h.requests.length).toBe(count);
    await generates(offline.dir);
  });

  it('no network is a NETWORK_FAILED error naming the host', async () => {
    await expect(pullModel(parseRepoRef('atelier/oracle'), { connection: { endpoint: 'http://127.0.0.1:9' }, cacheRoot: temp() })).rejects.toMatchObject({ code: 'NETWORK_FAILED', message: expect.stringContaining('127.0.0.1:9 (ECONNREFUSED)') });
  });
});

describe('cache interop and deletion', () => {
  /** Lays out a cache exactly as Python's huggingface_hub writes it (blobs + relative symlinks + refs). */
  function pythonCache(cacheRoot: string, repo: string, commits: Record<string, string>, refs: Record<string, string>): void {
    const rc = repoCache(cacheRoot, repo);
    mkdirSync(rc.blobs, { recursive: true });
    for (const [commit, dir] of Object.entries(commits)) {
      const walk = (d: string, rel: string): void => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const relPath = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) walk(path.join(d, e.name), relPath);
          else {
            const bytes = readFileSync(path.join(d, e.name));
            const hash = createHash('sha256').update(bytes).digest('hex');
            if (!existsSync(rc.blob(hash))) writeFileSync(rc.blob(hash), bytes);
            const link = path.join(rc.snapshot(commit), ...relPath.split('/'));
            mkdirSync(path.dirname(link), { recursive: true });
            symlinkSync(path.relative(path.dirname(link), rc.blob(hash)), link);
          }
        }
      };
      walk(dir, '');
    }
    for (const [name, commit] of Object.entries(refs)) {
      mkdirSync(path.dirname(rc.ref(name)), { recursive: true });
      writeFileSync(rc.ref(name), commit);
    }
  }

  it('a cache written by Python tools is found and used without a single request', async () => {
    const h = await serve();
    const cache = temp();
    pythonCache(cache, 'someone/sd-oracle', { [COMMIT_A]: oracleModel() }, { main: COMMIT_A });
    const models = await listCachedModels(cache);
    expect(models).toEqual([expect.objectContaining({ repo: 'someone/sd-oracle', commit: COMMIT_A, refs: ['main'], pipelineClass: 'OnnxStableDiffusionPipeline' })]);
    expect(models[0].sizeBytes).toBeGreaterThan(1_000_000);
    const offline = await pullModel(parseRepoRef('someone/sd-oracle'), options(h, cache, { offline: true }));
    expect(offline.dir).toBe(models[0].dir);
    await generates(models[0].dir);
    expect(h.requests).toHaveLength(0);
  });

  it('two snapshots sharing blobs: deleting one keeps the other working', async () => {
    const cache = temp();
    const variant = path.join(temp(), 'variant');
    cpSync(oracleModel(), variant, { recursive: true });
    writeFileSync(path.join(variant, 'scheduler', 'scheduler_config.json'), JSON.stringify({ _class_name: 'EulerDiscreteScheduler', set_alpha_to_one: true }));
    pythonCache(cache, 'someone/sd-oracle', { [COMMIT_A]: oracleModel(), [COMMIT_B]: variant }, { main: COMMIT_B, v1: COMMIT_A });
    const rc = repoCache(cache, 'someone/sd-oracle');
    const blobsBefore = readdirSync(rc.blobs).length;
    const result = await deleteCachedModel(cache, 'someone/sd-oracle', COMMIT_A);
    expect(result.removedSnapshots).toEqual([COMMIT_A]);
    expect(result.removedBlobs).toBe(1); // only A's scheduler config was unshared
    expect(readdirSync(rc.blobs)).toHaveLength(blobsBefore - 1);
    expect(existsSync(rc.ref('v1'))).toBe(false);
    expect(readFileSync(rc.ref('main'), 'utf8')).toBe(COMMIT_B);
    await generates(rc.snapshot(COMMIT_B));
    await deleteCachedModel(cache, 'someone/sd-oracle');
    expect(existsSync(rc.root)).toBe(false);
  });
});

describe('repo ids and revisions', () => {
  it.each(['../etc', 'org/../name', 'org/name/extra', 'org//name', '/org/name', 'org', 'org/na me', 'org/name\u0000'])('refuses repo id %j', (id) => {
    expect(() => parseRepoRef(id)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', argument: 'repo' }));
  });
  it.each(['org/name@..', 'org/name@a..b/../c', 'org/name@abc1234', 'org/name@refs/heads/../x', 'org/name@br anch', 'org/name@'])('refuses revision in %j', (id) => {
    expect(() => parseRepoRef(id)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', argument: 'revision' }));
  });
  it.each([
    ['org/name', 'main'],
    ['stable-diffusion-v1-5/stable-diffusion-v1-5@onnx', 'onnx'],
    ['org/name@refs/pr/11', 'refs/pr/11'],
    [`org/name@${COMMIT_A}`, COMMIT_A],
    ['org/name@v1.0', 'v1.0'],
  ])('accepts %j', (id, revision) => {
    expect(parseRepoRef(id).revision).toBe(revision);
  });
});
