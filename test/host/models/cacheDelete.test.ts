/** `models rm` deletes only what resolves inside the repo's own cache folder, with hash-shaped blob names. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deleteCachedModel } from '../../../src/host/models/cachedModels';
import { repoCache, type RepoCache } from '../../../src/host/models/hub/cacheLayout';

const REPO = 'someone/model';
const COMMIT = 'c'.repeat(40);
const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(40);
const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-rm-'));

/** An outside folder with files a careless delete would hit: a hash-named one and a precious one. */
function outside(): { dir: string; files: Record<string, string> } {
  const dir = temp();
  const files = { [HASH_A]: 'not a blob of any cache', [HASH_B]: 'also not', 'precious.txt': 'the user\'s work' };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return { dir, files };
}

function untouched(place: { dir: string; files: Record<string, string> }): void {
  for (const [name, text] of Object.entries(place.files)) expect(readFileSync(path.join(place.dir, name), 'utf8'), name).toBe(text);
}

/** One snapshot linking model_index.json to blob A; blob B unreferenced; refs/main → the commit. */
function cacheWith(options: { blobsDir?: string } = {}): { root: string; rc: RepoCache } {
  const root = temp();
  const rc = repoCache(root, REPO);
  mkdirSync(rc.root, { recursive: true });
  if (options.blobsDir) symlinkSync(options.blobsDir, rc.blobs);
  else {
    mkdirSync(rc.blobs);
    writeFileSync(rc.blob(HASH_A), '{}');
    writeFileSync(rc.blob(HASH_B), 'unreferenced');
  }
  mkdirSync(rc.snapshot(COMMIT), { recursive: true });
  symlinkSync(`../../blobs/${HASH_A}`, path.join(rc.snapshot(COMMIT), 'model_index.json'));
  mkdirSync(path.dirname(rc.ref('main')), { recursive: true });
  writeFileSync(rc.ref('main'), COMMIT);
  return { root, rc };
}

describe('deleting a cached model', () => {
  it('an ordinary cache: the snapshot, its ref and its blobs go, then the empty folders', async () => {
    const { root, rc } = cacheWith();
    const result = await deleteCachedModel(root, REPO);
    expect(result).toMatchObject({ removedSnapshots: [COMMIT], removedBlobs: 2, freedBytes: 14, leftAlone: [] });
    expect(existsSync(rc.root)).toBe(false);
  });

  it('blobs/ symlinked to another folder: nothing there is deleted, and the reason is reported', async () => {
    const place = outside();
    const { root, rc } = cacheWith({ blobsDir: place.dir });
    const result = await deleteCachedModel(root, REPO);
    untouched(place);
    expect(result.removedBlobs).toBe(0);
    expect(result.leftAlone).toEqual([`${rc.blobs} was left alone: it is a symbolic link (to ${place.dir})`]);
    expect(existsSync(rc.snapshot(COMMIT))).toBe(false);
    expect(existsSync(rc.blobs)).toBe(true); // the link itself stays, as everything not provably ours
  });

  it('a snapshot that is a symlink to another folder is unlinked, never followed', async () => {
    const place = outside();
    const { root, rc } = cacheWith();
    const other = 'd'.repeat(40);
    symlinkSync(place.dir, rc.snapshot(other));
    await deleteCachedModel(root, REPO);
    untouched(place);
    expect(existsSync(rc.root)).toBe(false);
  });

  it('snapshot entries linking out of the cache (.. tricks) keep their targets; the named blob stays if still linked', async () => {
    const place = outside();
    const { root, rc } = cacheWith();
    symlinkSync(path.relative(rc.snapshot(COMMIT), path.join(place.dir, 'precious.txt')), path.join(rc.snapshot(COMMIT), 'escape.txt'));
    symlinkSync(`../../blobs/../../../../${path.relative('/', place.dir)}/${HASH_B}`, path.join(rc.snapshot(COMMIT), 'tricky.json'));
    symlinkSync(place.dir, path.join(rc.snapshot(COMMIT), 'folder'));
    const result = await deleteCachedModel(root, REPO, COMMIT);
    untouched(place);
    expect(result.removedSnapshots).toEqual([COMMIT]);
  });

  it('snapshots/ or refs/ symlinked elsewhere are not entered; a commit argument with .. is ignored', async () => {
    const place = outside();
    const { root, rc } = cacheWith();
    const refsElsewhere = temp();
    writeFileSync(path.join(refsElsewhere, 'main'), COMMIT);
    const refsDir = path.dirname(rc.ref('main'));
    rmSync(refsDir, { recursive: true });
    symlinkSync(refsElsewhere, refsDir);
    const result = await deleteCachedModel(root, REPO, COMMIT);
    expect(readFileSync(path.join(refsElsewhere, 'main'), 'utf8')).toBe(COMMIT);
    expect(result.leftAlone).toEqual([expect.stringMatching(/refs was left alone: it is a symbolic link/)]);

    const second = cacheWith();
    const snapshotsElsewhere = temp();
    mkdirSync(path.join(snapshotsElsewhere, COMMIT));
    writeFileSync(path.join(snapshotsElsewhere, COMMIT, 'keep.txt'), 'keep');
    rmSync(path.join(second.rc.root, 'snapshots'), { recursive: true });
    symlinkSync(snapshotsElsewhere, path.join(second.rc.root, 'snapshots'));
    const none = await deleteCachedModel(second.root, REPO);
    expect(none.removedSnapshots).toEqual([]);
    expect(none.removedBlobs).toBe(0);
    expect(readFileSync(path.join(snapshotsElsewhere, COMMIT, 'keep.txt'), 'utf8')).toBe('keep');
    expect(readdirSync(second.rc.blobs).sort()).toEqual([HASH_A, HASH_B]);

    const third = cacheWith();
    const escape = await deleteCachedModel(third.root, REPO, `../../../${path.relative('/', place.dir)}`);
    expect(escape.removedSnapshots).toEqual([]);
    untouched(place);
  });

  it('in blobs/, only hash-named regular files go: other names and symlinks (even hash-named) stay', async () => {
    const place = outside();
    const { root, rc } = cacheWith();
    writeFileSync(path.join(rc.blobs, 'notes.txt'), 'mine');
    const linked = 'e'.repeat(64);
    symlinkSync(path.join(place.dir, HASH_A), path.join(rc.blobs, linked));
    const result = await deleteCachedModel(root, REPO);
    untouched(place);
    expect(readFileSync(path.join(rc.blobs, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(rc.blobs).sort()).toEqual([linked, 'notes.txt']);
    expect(result.leftAlone).toHaveLength(2);
    expect(result.removedBlobs).toBe(2);
  });
});
