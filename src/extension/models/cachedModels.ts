/** Models in the Hugging Face cache (ours and Python's), and deleting one without breaking another. */
import { lstat, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
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
    const commit = (await readFile(file, 'utf8').catch(() => '')).trim();
    const name = path.relative(refsRoot, file).split(path.sep).join('/');
    byCommit.set(commit, [...(byCommit.get(commit) ?? []), name]);
  }
  return byCommit;
}

async function pipelineClass(dir: string): Promise<string | undefined> {
  try {
    const json = JSON.parse(await readFile(path.join(dir, 'model_index.json'), 'utf8')) as { _class_name?: unknown };
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
async function referencedBlobs(repoRoot: string): Promise<Set<string>> {
  const used = new Set<string>();
  for (const file of await walkFiles(path.join(repoRoot, 'snapshots'))) {
    const info = await lstat(file);
    if (info.isSymbolicLink()) used.add(path.basename(await readlink(file)));
  }
  return used;
}

export interface DeleteResult {
  readonly removedSnapshots: readonly string[];
  readonly removedBlobs: number;
  readonly freedBytes: number;
}

/**
 * Removes the snapshot(s) of `repo` (one commit, or all), then only the blobs no remaining snapshot
 * links to, and the refs that pointed at removed commits.
 */
export async function deleteCachedModel(cacheRoot: string, repo: string, commit?: string): Promise<DeleteResult> {
  const cache = repoCache(cacheRoot, repo);
  const snapshots = commit ? [commit] : await entries(path.join(cache.root, 'snapshots'));
  for (const c of snapshots) await rm(cache.snapshot(c), { recursive: true, force: true });
  const refs = await refsOf(cache.root);
  for (const c of snapshots) {
    for (const name of refs.get(c) ?? []) await rm(cache.ref(name), { force: true });
  }
  const used = await referencedBlobs(cache.root);
  let removedBlobs = 0;
  let freedBytes = 0;
  for (const blob of await entries(cache.blobs)) {
    if (used.has(blob) || blob.endsWith('.incomplete')) continue;
    freedBytes += (await stat(path.join(cache.blobs, blob)).catch(() => ({ size: 0 }))).size;
    await rm(path.join(cache.blobs, blob), { force: true });
    removedBlobs += 1;
  }
  if ((await entries(path.join(cache.root, 'snapshots'))).length === 0) await rm(cache.root, { recursive: true, force: true });
  return { removedSnapshots: snapshots, removedBlobs, freedBytes };
}

