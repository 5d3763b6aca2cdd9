/** Models in the Hugging Face cache (ours and Python's), and deleting one without breaking another. */
import { lstat, readdir, readlink, realpath, rm, rmdir, stat } from 'node:fs/promises';
import { FILE_KINDS, readBounded } from '../../shared/files/boundedRead';
import path from 'node:path';
import { readRef, repoCache, repoFolderName, repoFromFolderName } from './hub/cacheLayout';
import type { RepoRef } from './hub/repoId';

export interface CachedModel {
  readonly repo: string;
  readonly commit: string;
  /** The folder holding model_index.json (the snapshot or a subfolder of it). */
  readonly dir: string;
  /** Revisions (refs) pointing at this commit. */
  readonly refs: readonly string[];
  readonly sizeBytes: number;
  readonly pipelineClass: string | undefined;
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await entries(dir)) {
    const full = path.join(dir, name);
    const info = await lstat(full);
    if (info.isDirectory()) out.push(...(await walkFiles(full)));
    else out.push(full);
  }
  return out;
}

async function refsOf(repoRoot: string): Promise<Map<string, string[]>> {
  const byCommit = new Map<string, string[]>();
  const refsRoot = path.join(repoRoot, 'refs');
  for (const file of await walkFiles(refsRoot)) {
    const commit = (await readBounded(file, FILE_KINDS.smallText).then((b) => b.toString('utf8'), () => '')).trim();
    const name = path.relative(refsRoot, file).split(path.sep).join('/');
    byCommit.set(commit, [...(byCommit.get(commit) ?? []), name]);
  }
  return byCommit;
}

async function pipelineClass(dir: string): Promise<string | undefined> {
  try {
    const json = JSON.parse((await readBounded(path.join(dir, 'model_index.json'), FILE_KINDS.modelConfig)).toString('utf8')) as { _class_name?: unknown };
    return typeof json._class_name === 'string' ? json._class_name : 'unknown';
  } catch {
    return undefined;
  }
}

/** The models in one repo's cache folder (every snapshot; the export at its root or one folder down). */
async function modelsInRepo(cacheRoot: string, repo: string): Promise<CachedModel[]> {
  const models: CachedModel[] = [];
  const root = path.join(cacheRoot, repoFolderName(repo));
  const refs = await refsOf(root);
  for (const commit of await entries(path.join(root, 'snapshots'))) {
    const snapshot = path.join(root, 'snapshots', commit);
    const candidates = [snapshot, ...(await entries(snapshot)).map((n) => path.join(snapshot, n))];
    for (const dir of candidates) {
      const cls = await pipelineClass(dir);
      if (cls === undefined) continue;
      let size = 0;
      for (const file of await walkFiles(dir)) size += (await stat(file).catch(() => ({ size: 0 }))).size;
      models.push({ repo, commit, dir, refs: refs.get(commit) ?? [], sizeBytes: size, pipelineClass: cls });
    }
  }
  return models;
}

export async function listCachedModels(cacheRoot: string): Promise<CachedModel[]> {
  const models: CachedModel[] = [];
  for (const folder of await entries(cacheRoot)) {
    const repo = repoFromFolderName(folder);
    if (repo) models.push(...(await modelsInRepo(cacheRoot, repo)));
  }
  return models;
}

/** The cached model a `org/name[@revision]` points at (via refs/), reading only that repo's folder. */
export async function findCachedModel(cacheRoot: string, ref: RepoRef): Promise<CachedModel | undefined> {
  const commit = await readRef(repoCache(cacheRoot, ref.repo), ref.revision);
  return commit ? (await modelsInRepo(cacheRoot, ref.repo)).find((m) => m.commit === commit) : undefined;
}

/** Blob names that snapshot symlinks still point at. */
async function referencedBlobs(snapshotsRoot: string): Promise<Set<string>> {
  const used = new Set<string>();
  for (const file of await walkFiles(snapshotsRoot)) {
    const info = await lstat(file);
    if (info.isSymbolicLink()) used.add(path.basename(await readlink(file)));
  }
  return used;
}

/** What huggingface_hub names blobs: a git SHA-1 or an LFS SHA-256, lower-case hex. */
const BLOB_NAME = /^(?:[0-9a-f]{40}|[0-9a-f]{64})(?:\.incomplete)?$/;
const COMMIT_NAME = /^[0-9a-f]{40}$/;

/**
 * `dir` as a folder Atelier may delete in: a real directory (not a symlink), whose real path is
 * `parent`'s real path plus its own name (so no symlink anywhere above leads elsewhere). Returns why not.
 */
async function notOwnFolder(dir: string, parentReal: string): Promise<string | undefined> {
  let info;
  try {
    info = await lstat(dir);
  } catch {
    return 'it does not exist';
  }
  if (info.isSymbolicLink()) return `it is a symbolic link (to ${await readlink(dir).catch(() => '?')})`;
  if (!info.isDirectory()) return 'it is not a folder';
  const real = await realpath(dir);
  return real === path.join(parentReal, path.basename(dir)) ? undefined : `it resolves to ${real}, outside ${parentReal}`;
}

export interface DeleteResult {
  readonly removedSnapshots: readonly string[];
  readonly removedBlobs: number;
  readonly freedBytes: number;
  /** Things left alone because they do not provably belong to this repo's cache folder, in words. */
  readonly leftAlone: readonly string[];
}

/**
 * Removes the snapshot(s) of `repo` (one commit, or all), then only the blobs no remaining snapshot
 * links to, and the refs that pointed at removed commits. Nothing is deleted that does not resolve
 * inside the repo's own cache folder: blobs only in a real blobs/ folder and only with hash-shaped
 * names; a symlinked blobs/, snapshots/ or refs/ is left alone and reported.
 */
export async function deleteCachedModel(cacheRoot: string, repo: string, commit?: string): Promise<DeleteResult> {
  const cache = repoCache(cacheRoot, repo);
  const leftAlone: string[] = [];
  const refuse = (what: string, why: string): void => void leftAlone.push(`${what} was left alone: ${why}`);
  const rootReal = await realpath(cacheRoot).catch(() => path.resolve(cacheRoot));
  const rootProblem = await notOwnFolder(cache.root, rootReal);
  if (rootProblem) {
    refuse(cache.root, rootProblem);
    return { removedSnapshots: [], removedBlobs: 0, freedBytes: 0, leftAlone };
  }
  const repoReal = path.join(rootReal, path.basename(cache.root));
  const own = async (name: string): Promise<boolean> => {
    const problem = await notOwnFolder(path.join(cache.root, name), repoReal);
    if (problem && problem !== 'it does not exist') refuse(path.join(cache.root, name), problem);
    return problem === undefined;
  };

  // 1. Snapshots: commit-named entries of a real snapshots/ folder (a symlinked snapshot is unlinked, never followed).
  const snapshotsRoot = path.join(cache.root, 'snapshots');
  const snapshotsOwn = await own('snapshots');
  const snapshots = !snapshotsOwn ? [] : (commit ? [commit] : await entries(snapshotsRoot)).filter((c) => COMMIT_NAME.test(c));
  for (const c of snapshots) await rm(path.join(snapshotsRoot, c), { recursive: true, force: true });

  // 2. Refs that pointed at removed commits: regular files in a real refs/ folder.
  if (await own('refs')) {
    const refs = await refsOf(cache.root);
    for (const c of snapshots) {
      for (const name of refs.get(c) ?? []) {
        const file = cache.ref(name);
        if ((await lstat(file).catch(() => undefined))?.isFile()) await rm(file, { force: true });
      }
    }
  }

  // 3. Blobs no snapshot links to any more: hash-named regular files in a real blobs/ folder.
  const remaining = snapshotsOwn ? await entries(snapshotsRoot) : ['(unknown)'];
  const used = snapshotsOwn ? await referencedBlobs(snapshotsRoot) : new Set<string>();
  let removedBlobs = 0;
  let freedBytes = 0;
  if (snapshotsOwn && (await own('blobs'))) {
    for (const blob of await entries(cache.blobs)) {
      const file = path.join(cache.blobs, blob);
      const info = await lstat(file);
      if (!BLOB_NAME.test(blob) || !info.isFile()) {
        refuse(file, 'not a blob Atelier or huggingface_hub wrote');
        continue;
      }
      // A partial download is kept while a snapshot remains (the next pull resumes it).
      if (used.has(blob) || (blob.endsWith('.incomplete') && remaining.length > 0)) continue;
      freedBytes += info.size;
      await rm(file);
      removedBlobs += 1;
    }
  }

  // 4. With no snapshot left, the now-empty folders go too (anything unexpected in them stays).
  if (remaining.length === 0) {
    for (const dir of [path.join(cache.root, 'refs'), cache.blobs, snapshotsRoot, cache.root]) await removeEmptyFolders(dir);
  }
  return { removedSnapshots: snapshots, removedBlobs, freedBytes, leftAlone };
}

/** Removes `dir` and its sub-folders bottom-up where they are empty; never follows a symlink, never removes a file. */
async function removeEmptyFolders(dir: string): Promise<void> {
  const info = await lstat(dir).catch(() => undefined);
  if (!info?.isDirectory()) return;
  for (const name of await entries(dir)) await removeEmptyFolders(path.join(dir, name));
  await rmdir(dir).catch(() => undefined);
}
