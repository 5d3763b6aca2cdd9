/**
 * `pull`: resolve → list → select → check disk space → download missing blobs (bounded parallelism,
 * resumed on dropped connections) → link the snapshot → write the ref. Files already in the cache,
 * from Atelier or from Python's huggingface_hub, are never downloaded again.
 */
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from '../../../shared/errors';
import { fileSize, linkSnapshotFile, readRef, repoCache, writeRef, type RepoCache } from './cacheLayout';
import { formatBytes } from '../units';
import { downloadBlob } from './downloadBlob';
import { fileUrl, listTree, resolveCommit } from './hubApi';
import { NetworkTimeoutError, type HubConnection } from './http';
import { isCommit, type RepoRef } from './repoId';
import { blobHash, contentSize, selectFiles, type Selection, type TreeEntry } from './selectFiles';

export interface PullProgress {
  readonly totalBytes: number;
  readonly doneBytes: number;
  readonly bytesPerSecond: number;
  /** Seconds left at the current speed; undefined until a speed is known. */
  readonly etaSeconds: number | undefined;
  readonly filesDone: number;
  readonly filesTotal: number;
}

export interface PullOptions {
  readonly connection: HubConnection;
  readonly cacheRoot: string;
  readonly selection?: Selection;
  /** HF_HUB_OFFLINE: answer from the cache only. */
  readonly offline?: boolean;
  readonly signal?: AbortSignal;
  readonly concurrency?: number;
  readonly onProgress?: (progress: PullProgress) => void;
  /** Things worth telling the user while it runs (waiting for another process's download of a file). */
  readonly onNotice?: (message: string) => void;
  /** Free bytes at a path (tests substitute it); defaults to fs.statfs. */
  readonly freeBytes?: (dir: string) => Promise<number>;
}

export interface PullResult {
  readonly repo: string;
  readonly commit: string;
  /** The model folder to load: snapshots/<commit>[/<subfolder>]. */
  readonly dir: string;
  readonly files: readonly string[];
  readonly downloadedBytes: number;
  readonly fromCache: boolean;
}

const ATTEMPTS_PER_FILE = 4;

async function defaultFreeBytes(dir: string): Promise<number> {
  let probe = dir;
  for (;;) {
    try {
      const s = await statfs(probe);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      const parent = path.dirname(probe);
      if (parent === probe) return Number.POSITIVE_INFINITY;
      probe = parent;
    }
  }
}

export async function pullModel(ref: RepoRef, options: PullOptions): Promise<PullResult> {
  try {
    return await pullOnce(ref, options);
  } catch (error) {
    if (error instanceof PipelineError && error.code === 'CANCELLED') {
      throw new PipelineError('CANCELLED', `the download of ${ref.repo} was cancelled; the partial files are kept and the next pull resumes them`);
    }
    throw error;
  }
}

async function pullOnce(ref: RepoRef, options: PullOptions): Promise<PullResult> {
  const cache = repoCache(options.cacheRoot, ref.repo);
  const subdir = options.selection?.subfolder ? options.selection.subfolder.split('/') : [];

  // 1. Offline: the cache must already hold the revision.
  if (options.offline) {
    const commit = await readRef(cache, ref.revision);
    if (commit && (await fileSize(cache.snapshot(commit))) !== undefined) {
      return { repo: ref.repo, commit, dir: path.join(cache.snapshot(commit), ...subdir), files: [], downloadedBytes: 0, fromCache: true };
    }
    throw new PipelineError('HUB_OFFLINE', `offline mode (HF_HUB_OFFLINE) is on and ${ref.repo}@${ref.revision} is not in the cache at ${options.cacheRoot}; unset HF_HUB_OFFLINE to download it`);
  }

  // 2. Resolve and list.
  const commit = isCommit(ref.revision) ? ref.revision : await resolveCommit(options.connection, ref, options.signal);
  const tree = await listTree(options.connection, ref.repo, commit, options.signal);
  const files = selectFiles(tree, options.selection);
  if (!files.some((f) => f.path.endsWith('.onnx'))) {
    throw new PipelineError('HUB_NOT_FOUND', `${ref.repo}@${ref.revision} has no ONNX files${options.selection?.subfolder ? ` under ${options.selection.subfolder}/` : ''}; Atelier needs an ONNX export`);
  }

  // 3. What is missing, and is there room for it?
  const missing: Array<{ entry: TreeEntry; partial: number }> = [];
  for (const entry of files) {
    const blob = cache.blob(blobHash(entry));
    if ((await fileSize(blob)) === contentSize(entry)) continue;
    missing.push({ entry, partial: (await fileSize(`${blob}.incomplete`)) ?? 0 });
  }
  const needed = missing.reduce((n, m) => n + Math.max(0, contentSize(m.entry) - m.partial), 0);
  const free = await (options.freeBytes ?? defaultFreeBytes)(cache.blobs);
  if (needed > free) {
    throw new PipelineError(
      'DISK_FULL',
      `not enough disk space for ${ref.repo}: ${needed} bytes (${formatBytes(needed)}) are needed but only ${free} bytes (${formatBytes(free)}) are free at ${options.cacheRoot}`,
    );
  }

  // 4. Download, bounded and resumable.
  const totalBytes = files.reduce((n, f) => n + contentSize(f), 0);
  let doneBytes = totalBytes - missing.reduce((n, m) => n + contentSize(m.entry), 0);
  let downloadedBytes = 0;
  let filesDone = files.length - missing.length;
  const started = Date.now();
  let transferred = 0;
  const report = (): void => {
    const seconds = (Date.now() - started) / 1000;
    const bytesPerSecond = seconds > 0.2 ? transferred / seconds : 0;
    options.onProgress?.({ totalBytes, doneBytes: Math.min(doneBytes, totalBytes), bytesPerSecond, etaSeconds: bytesPerSecond > 0 ? (totalBytes - doneBytes) / bytesPerSecond : undefined, filesDone, filesTotal: files.length });
  };
  report();
  const queue = [...missing];
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      await downloadWithRetries(item.entry, cache, ref.repo, commit, options, (bytes, fresh) => {
        doneBytes += bytes;
        if (fresh) {
          transferred += bytes;
          downloadedBytes += bytes;
        }
        report();
      });
      filesDone += 1;
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 3, Math.max(1, missing.length)) }, worker));

  // 5. Snapshot links and the ref.
  for (const entry of files) await linkSnapshotFile(cache, commit, entry.path, blobHash(entry));
  await writeRef(cache, ref.revision, commit);
  return { repo: ref.repo, commit, dir: path.join(cache.snapshot(commit), ...subdir), files: files.map((f) => f.path), downloadedBytes, fromCache: missing.length === 0 };
}

async function downloadWithRetries(
  entry: TreeEntry,
  cache: RepoCache,
  repo: string,
  commit: string,
  options: PullOptions,
  onBytes: (bytes: number, fresh: boolean) => void,
): Promise<void> {
  let counted = 0;
  for (let attempt = 1; ; attempt++) {
    let first = true;
    const countedBefore = counted;
    try {
      await downloadBlob({
        connection: options.connection,
        cache,
        repo,
        entry,
        url: fileUrl(options.connection, repo, commit, entry.path),
        signal: options.signal,
        onWait: options.onNotice,
        onBytes: (bytes) => {
          // The first call reports what the partial already held; count only what is new to us.
          if (first) {
            first = false;
            const resumed = Math.max(0, bytes - counted);
            counted += resumed;
            onBytes(resumed, false);
            return;
          }
          counted += bytes;
          onBytes(bytes, true);
        },
      });
      const rest = contentSize(entry) - counted;
      if (rest > 0) onBytes(rest, false);
      return;
    } catch (error) {
      if (!(error instanceof PipelineError) || error.code !== 'NETWORK_FAILED' || attempt >= ATTEMPTS_PER_FILE || options.signal?.aborted) throw error;
      // A host that did not answer, or sent nothing new before going idle, already had its full timeout.
      if (error instanceof NetworkTimeoutError && (error.phase === 'connect' || counted === countedBefore)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}
