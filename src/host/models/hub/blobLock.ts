/**
 * A cross-process lock per blob, in the place huggingface_hub keeps its locks
 * (`<cache>/.locks/models--org--name/<hash>.atelier.lock`), so two pulls of one repo (two CLIs, or the CLI
 * and VS Code) never write the same `.incomplete` file. Node has no flock(), so the lock is a file created
 * with O_EXCL that holds {pid, host, token}; the holder touches it every HEARTBEAT_MS. A lock is stale,
 * and taken over, when its pid no longer runs on this host, or when nobody touched it for STALE_MS (a
 * holder on another machine sharing the cache, or one that froze). Python's own `<hash>.lock` files are
 * flock()ed, not O_EXCL, so they are left alone (huggingface_hub keeps them after use).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, stat, unlink, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PipelineError } from '../../../shared/errors';
import { FILE_KINDS, readBounded } from '../../../shared/files/boundedRead';
import { pidAlive } from '../../system/pidAlive';

export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 60_000;
const POLL_MS = 200;

interface LockContent {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

export interface LockOptions {
  readonly signal?: AbortSignal;
  /** Called once when the lock is held by another live process and this one waits. */
  readonly onWait?: (holder: { pid: number; host: string }) => void;
}

export function lockPath(cacheRoot: string, repoFolder: string, hash: string): string {
  return path.join(cacheRoot, '.locks', repoFolder, `${hash}.atelier.lock`);
}

async function readLock(file: string): Promise<{ content: LockContent | undefined; mtimeMs: number; ino: number } | undefined> {
  try {
    const info = await stat(file);
    let content: LockContent | undefined;
    try {
      const parsed = JSON.parse((await readBounded(file, FILE_KINDS.smallText)).toString('utf8')) as Partial<LockContent>;
      if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.token === 'string') content = parsed as LockContent;
    } catch {
      // Being written this instant, or damaged: only its age decides.
    }
    return { content, mtimeMs: info.mtimeMs, ino: info.ino };
  } catch {
    return undefined; // released meanwhile
  }
}

function isStale(lock: { content: LockContent | undefined; mtimeMs: number }, now: number): boolean {
  if (now - lock.mtimeMs > STALE_MS) return true;
  return lock.content !== undefined && lock.content.host === os.hostname() && !pidAlive(lock.content.pid);
}

/** Waits for and takes the lock; resolves to its release function. */
export async function acquireBlobLock(file: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  await mkdir(path.dirname(file), { recursive: true });
  const mine: LockContent = { pid: process.pid, host: os.hostname(), token: randomBytes(8).toString('hex') };
  let told = false;
  for (;;) {
    if (options.signal?.aborted) throw new PipelineError('CANCELLED', 'the download was cancelled while waiting for another download of the same file');
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(JSON.stringify(mine));
      } finally {
        await handle.close();
      }
      const heartbeat = setInterval(() => {
        const now = new Date();
        void utimes(file, now, now).catch(() => undefined);
      }, HEARTBEAT_MS);
      heartbeat.unref();
      return async () => {
        clearInterval(heartbeat);
        const current = await readLock(file);
        if (current?.content?.token === mine.token) await unlink(file).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = await readLock(file);
    if (held && isStale(held, Date.now())) {
      // Take it over only if it is still the same stale file (not one a third process just created).
      const again = await stat(file).catch(() => undefined);
      if (again && again.ino === held.ino && again.mtimeMs === held.mtimeMs) await unlink(file).catch(() => undefined);
      continue;
    }
    if (held?.content && !told) {
      told = true;
      options.onWait?.({ pid: held.content.pid, host: held.content.host });
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
