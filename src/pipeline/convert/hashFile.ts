/**
 * Content hashes of checkpoints and LoRAs, streamed in 8 MiB reads with progress and cancel:
 * - the whole-file SHA-256 (A1111's "Model hash" is its first 10 hex digits), keying the conversion cache;
 * - for `.safetensors` LoRAs, A1111's "addnet" hash: SHA-256 of the bytes after the header (its
 *   "Lora hashes" field shows the first 12 hex digits), so metadata edits do not change it.
 * A hash is remembered per (path, size, mtime, inode) under the cache root, so the next load skips re-reading.
 */
import { createHash } from 'node:crypto';
import { constants, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from '../../shared/errors';
import { describeNonRegular } from '../../shared/files/boundedRead';

const CHUNK = 8 * 1024 * 1024;

export interface HashOptions {
  /** Hash only what follows the safetensors header (A1111's addnet hash). */
  readonly afterHeader?: boolean;
  readonly signal?: AbortSignal;
  readonly onBytes?: (done: number, total: number) => void;
  /** Folder for remembered hashes; none: always read. */
  readonly memoDir?: string;
}

export function cancelled(): PipelineError {
  return new PipelineError('CANCELLED', 'the conversion was cancelled');
}

function memoFile(memoDir: string, file: string, afterHeader: boolean): string | undefined {
  try {
    const s = statSync(file);
    const id = createHash('sha256').update(JSON.stringify([path.resolve(file), s.size, s.mtimeMs, s.ino, afterHeader])).digest('hex');
    return path.join(memoDir, `${id}.sha256`);
  } catch {
    return undefined;
  }
}

export async function hashFile(file: string, options: HashOptions = {}): Promise<string> {
  const memo = options.memoDir ? memoFile(options.memoDir, file, options.afterHeader === true) : undefined;
  if (memo) {
    try {
      const known = readFileSync(memo, 'utf8').trim();
      if (/^[0-9a-f]{64}$/.test(known)) return known;
    } catch {
      // not remembered yet
    }
  }
  const handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new PipelineError('MODEL_INVALID', `cannot hash ${file}: it is ${describeNonRegular(stats)}, not a regular file`, { argument: file });
    let position = 0;
    if (options.afterHeader) {
      const head = Buffer.alloc(8);
      await handle.read(head, 0, 8, 0);
      position = 8 + Number(head.readBigUInt64LE(0));
    }
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(CHUNK);
    const total = stats.size;
    for (;;) {
      if (options.signal?.aborted) throw cancelled();
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
      options.onBytes?.(position, total);
    }
    const digest = hash.digest('hex');
    if (memo && options.memoDir) {
      mkdirSync(options.memoDir, { recursive: true });
      const tmp = `${memo}.${process.pid}.tmp`;
      writeFileSync(tmp, digest);
      renameSync(tmp, memo);
    }
    return digest;
  } finally {
    await handle.close();
  }
}
