/**
 * One file into blobs/, resumably and verified:
 * - the partial lives at blobs/<hash>.incomplete (same folder, so the final rename is atomic);
 * - a resume sends Range + If-Range + identity encoding and accepts only a 206 whose Content-Range
 *   continues the partial; a 200 restarts the file (never appended); a 416 means complete-or-wrong;
 * - the content is hashed (SHA-256 for LFS files, the git blob SHA-1 otherwise) before the rename;
 * - a cancelled or dropped download keeps its partial for the next attempt.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, truncate, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PipelineError } from '../../../shared/errors';
import { acquireBlobLock, lockPath } from './blobLock';
import { fileSize, type RepoCache } from './cacheLayout';
import { hubGet, NetworkTimeoutError, statusError, type HubConnection, type HubResponse } from './http';
import { blobHash, contentSize, type TreeEntry } from './selectFiles';

export interface BlobDownload {
  readonly connection: HubConnection;
  readonly cache: RepoCache;
  readonly repo: string;
  readonly entry: TreeEntry;
  readonly url: URL;
  readonly signal?: AbortSignal;
  /** Called with each chunk's size as bytes arrive (and with the resumed amount first). */
  readonly onBytes?: (bytes: number) => void;
  /** Called when another process is downloading the same file and this one waits for it. */
  readonly onWait?: (message: string) => void;
}

/** The digest the Hub advertises for this file: SHA-256 (LFS) or sha1("blob <size>\0" + bytes). */
export async function digestOf(file: string, entry: TreeEntry): Promise<string> {
  const hash = entry.lfs ? createHash('sha256') : createHash('sha1');
  if (!entry.lfs) hash.update(`blob ${contentSize(entry)}\0`);
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

function parseContentRange(value: string | undefined): { start: number; end: number; total: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(value ?? '');
  return match ? { start: Number(match[1]), end: Number(match[2]), total: Number(match[3]) } : undefined;
}

/**
 * Returns true when the blob is already in the cache (no bytes transferred). Holds the blob's
 * cross-process lock while it touches the partial, so concurrent pulls take turns.
 */
export async function downloadBlob(job: BlobDownload): Promise<boolean> {
  const hash = blobHash(job.entry);
  const final = job.cache.blob(hash);
  if ((await fileSize(final)) === contentSize(job.entry)) return true;
  const release = await acquireBlobLock(lockPath(path.dirname(job.cache.root), path.basename(job.cache.root), hash), {
    signal: job.signal,
    onWait: (holder) => job.onWait?.(`waiting for another download of ${job.entry.path} (process ${holder.pid} on ${holder.host})`),
  });
  try {
    return await downloadLocked(job, hash, final);
  } finally {
    await release();
  }
}

async function downloadLocked(job: BlobDownload, hash: string, final: string): Promise<boolean> {
  const size = contentSize(job.entry);
  if ((await fileSize(final)) === size) return true; // the process we waited for finished it
  await mkdir(job.cache.blobs, { recursive: true });
  const partial = `${final}.incomplete`;
  let have = (await fileSize(partial)) ?? 0;
  if (have > size) {
    await truncate(partial, 0);
    have = 0;
  }

  for (let attempt = 0; attempt < 2; attempt++) {
    const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
    if (have > 0) {
      headers.Range = `bytes=${have}-`;
      headers['If-Range'] = `"${hash}"`;
    }
    const response = await hubGet(job.connection, job.url, headers, job.signal);
    const status = response.status;
    if (status === 416) {
      response.discard();
      // The partial is already complete — or wrong. Verify; restart from zero when it is wrong.
      if (have === size && (await digestOf(partial, job.entry)) === hash.toLowerCase()) break;
      await truncate(partial, 0);
      have = 0;
      continue;
    }
    let append: boolean;
    if (status === 206) {
      const range = parseContentRange(response.headers['content-range']);
      if (!range || range.start !== have || range.total !== size || range.end !== size - 1) {
        response.discard();
        await truncate(partial, 0); // a range that does not continue our partial: start over
        have = 0;
        continue;
      }
      append = true;
    } else if (status === 200) {
      append = false; // the server ignored Range (or the file changed): start the file over
      have = 0;
    } else {
      response.discard();
      throw statusError(status, job.connection, `${job.repo}/${job.entry.path}`, job.repo);
    }
    const expected = size - have;
    const declared = response.headers['content-length'];
    if (declared !== undefined && Number(declared) !== expected) {
      response.discard();
      throw new PipelineError('INTEGRITY_FAILED', `the server announced ${declared} bytes for ${job.entry.path} but the file list says ${expected}; refused`, { argument: job.entry.path });
    }
    job.onBytes?.(have);
    await writeBody(response, partial, append, expected, job);
    have = size;
    break;
  }

  const digest = await digestOf(partial, job.entry);
  if (digest !== hash.toLowerCase()) {
    await unlink(partial).catch(() => undefined);
    throw new PipelineError('INTEGRITY_FAILED', `${job.repo}/${job.entry.path} failed verification: expected ${job.entry.lfs ? 'SHA-256' : 'git SHA-1'} ${hash}, got ${digest}`, {
      argument: job.entry.path,
    });
  }
  await rename(partial, final);
  return false;
}

async function writeBody(response: HubResponse, partial: string, append: boolean, expected: number, job: BlobDownload): Promise<void> {
  // Each chunk is awaited onto disk, so whatever arrived before a drop or a cancel survives for the resume
  // (a destroyed write stream would discard its buffered chunks).
  const handle = await open(partial, append ? 'a' : 'w');
  let received = 0;
  try {
    for await (const chunk of response.chunks()) {
      received += chunk.length;
      if (received > expected) {
        response.discard();
        throw new PipelineError('INTEGRITY_FAILED', `the server sent more than the ${expected} bytes advertised for ${job.entry.path}; refused`, { argument: job.entry.path });
      }
      await handle.write(chunk);
      job.onBytes?.(chunk.length);
    }
  } catch (error) {
    await handle.close();
    const kept = `${received > 0 ? `after ${received} new bytes ` : ''}while downloading ${job.entry.path}; the partial file is kept and the next pull resumes it`;
    if (error instanceof NetworkTimeoutError) throw new NetworkTimeoutError(error.phase, `${error.message} (${kept})`);
    if (error instanceof PipelineError) {
      if (error.code === 'INTEGRITY_FAILED') await unlink(partial).catch(() => undefined);
      if (error.code === 'NETWORK_FAILED') throw new PipelineError('NETWORK_FAILED', `${error.message} ${kept}`, { detail: error.detail });
      throw error;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw new PipelineError('DISK_FULL', `the disk filled up while downloading ${job.entry.path}; the partial file is kept for a resume`);
    throw error;
  }
  await handle.sync();
  await handle.close();
  if (received !== expected) {
    throw new PipelineError('NETWORK_FAILED', `the connection ended after ${received} of ${expected} bytes of ${job.entry.path}; the partial file is kept for a resume`);
  }
}
