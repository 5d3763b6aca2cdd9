/**
 * The huggingface_hub cache layout, shared with Python tools:
 *   <cache>/models--org--name/blobs/<sha256 or git-sha1>
 *   <cache>/models--org--name/snapshots/<commit>/<path>  → relative symlink to ../../blobs/<hash> (copy where links fail)
 *   <cache>/models--org--name/refs/<revision>            ← the commit, as text
 * The cache root is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub.
 */
import { copyFile, lstat, mkdir, readlink, rename, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PipelineError } from '../../../shared/errors';
import { FILE_KINDS, readBounded } from '../../../shared/files/boundedRead';

export function hubCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return path.resolve(env.HF_HUB_CACHE);
  if (env.HF_HOME) return path.join(path.resolve(env.HF_HOME), 'hub');
  const xdg = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(xdg, 'huggingface', 'hub');
}

export function repoFolderName(repo: string): string {
  return `models--${repo.replace('/', '--')}`;
}

export function repoFromFolderName(name: string): string | undefined {
  const match = /^models--([^/]+?)--([^/]+)$/.exec(name);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

export interface RepoCache {
  readonly root: string;
  readonly blobs: string;
  snapshot(commit: string): string;
  ref(revision: string): string;
  blob(hash: string): string;
}

export function repoCache(cacheRoot: string, repo: string): RepoCache {
  const root = path.join(cacheRoot, repoFolderName(repo));
  return {
    root,
    blobs: path.join(root, 'blobs'),
    snapshot: (commit) => path.join(root, 'snapshots', commit),
    ref: (revision) => path.join(root, 'refs', ...revision.split('/')),
    blob: (hash) => path.join(root, 'blobs', hash),
  };
}

/** A repo-relative path from a tree listing: relative, forward slashes, no "..", no NUL. */
export function checkRepoPath(repoPath: string): string {
  const bad =
    repoPath.length === 0 ||
    repoPath.includes('\0') ||
    repoPath.includes('\\') ||
    repoPath.startsWith('/') ||
    /^[A-Za-z]:/.test(repoPath) ||
    repoPath.split('/').some((s) => s === '..' || s === '.' || s === '');
  if (bad) throw new PipelineError('MODEL_UNSAFE', `the Hub listing names the path ${JSON.stringify(repoPath)}, which would escape the model folder; refused`, { argument: repoPath });
  return repoPath;
}

/** Points snapshots/<commit>/<path> at the blob: a relative symlink, or a copy where links are impossible. */
export async function linkSnapshotFile(cache: RepoCache, commit: string, repoPath: string, hash: string): Promise<void> {
  const target = path.join(cache.snapshot(commit), ...checkRepoPath(repoPath).split('/'));
  await mkdir(path.dirname(target), { recursive: true });
  const relative = path.relative(path.dirname(target), cache.blob(hash));
  try {
    const existing = await lstat(target);
    if (existing.isSymbolicLink() && (await readlink(target)) === relative) return;
    await unlink(target);
  } catch {
    // nothing there yet
  }
  try {
    await symlink(relative, target);
  } catch (error) {
    // A concurrent pull of the same repo may have made the same link a moment ago.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (await readlink(target).catch(() => '')) === relative) return;
    const temp = `${target}.${process.pid}.tmp`;
    await copyFile(cache.blob(hash), temp);
    await rename(temp, target);
  }
}

export async function writeRef(cache: RepoCache, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const file = cache.ref(revision);
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, commit);
  await rename(temp, file);
}

export async function readRef(cache: RepoCache, revision: string): Promise<string | undefined> {
  if (/^[0-9a-f]{40}$/.test(revision)) return revision;
  try {
    const commit = (await readBounded(cache.ref(revision), FILE_KINDS.smallText)).toString('utf8').trim();
    return /^[0-9a-f]{40}$/.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** Size of a file or folder entry, or undefined when there is nothing at `file`. */
export async function fileSize(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}
