/**
 * Saving without ever overwriting: bytes go to a temp file in the destination folder, then are linked
 * to a name that did not exist (link fails with EEXIST instead of replacing), with a counter suffix on
 * collision. Filesystems without hard links fall back to an exclusive placeholder plus rename.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from '../../shared/errors';

const MAX_ATTEMPTS = 10_000;

/** A filesystem-safe slug of the prompt: lower-case words, at most 48 characters. */
export function promptSlug(prompt: string): string {
  const slug = prompt
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return slug || 'image';
}

async function writeTemp(dir: string, bytes: Uint8Array): Promise<string> {
  const temp = path.join(dir, `.atelier-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return temp;
}

function candidate(dir: string, stem: string, ext: string, n: number): string {
  return path.join(dir, n === 0 ? `${stem}${ext}` : `${stem}-${n}${ext}`);
}

/** Moves `temp` to a new name; returns false when `target` already exists. */
async function claim(temp: string, target: string): Promise<boolean> {
  try {
    await link(temp, target);
    await unlink(temp);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw error;
  }
  // No hard links here: reserve the name exclusively, then replace our own empty placeholder.
  try {
    const handle = await open(target, 'wx');
    await handle.close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  await rename(temp, target);
  return true;
}

function failureReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
    ? 'the folder is not writable'
    : code === 'ENOSPC'
      ? 'the disk is full'
      : code === 'ENOTDIR' || code === 'EEXIST'
        ? 'a file is in the way of the folder'
        : (error as Error).message;
}

function outputError(dir: string, error: unknown): PipelineError {
  return new PipelineError('OUTPUT_FAILED', `could not save the image in ${dir}: ${failureReason(error)}`, { argument: dir, detail: (error as Error).message });
}

/**
 * Writes `bytes` as `<stem><ext>` in `dir` (created if needed), or `<stem>-1<ext>`, `-2`, … when taken.
 * Returns the path written. Never replaces an existing file.
 */
export async function saveNewFile(dir: string, stem: string, ext: string, bytes: Uint8Array): Promise<string> {
  let temp: string;
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    temp = await writeTemp(dir, bytes);
  } catch (error) {
    throw outputError(dir, error);
  }
  try {
    for (let n = 0; n < MAX_ATTEMPTS; n++) {
      const target = candidate(dir, stem, ext, n);
      if (await claim(temp, target)) return target;
    }
    throw new Error(`${MAX_ATTEMPTS} names starting with ${stem} are already taken`);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error instanceof PipelineError ? error : outputError(dir, error);
  }
}

/**
 * Checks, before any work, that files can be saved in `dir` (created if needed): a probe file is
 * written and removed, which catches read-only mounts, full disks and ACLs that permission bits and
 * access() miss (and root's EACCES-free view). Throws OUTPUT_FAILED naming the folder and the reason.
 */
export async function checkWritableFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await unlink(await writeTemp(dir, new Uint8Array(0)));
  } catch (error) {
    throw new PipelineError('OUTPUT_FAILED', `images cannot be saved in ${dir}: ${failureReason(error)}; nothing was started`, { argument: dir, detail: (error as Error).message });
  }
}

/**
 * Replaces `file` with `bytes` atomically (temp file in the same folder, then rename), for files the
 * user asked to save: a canvas document's own layer files. A reader never sees a half-written file.
 */
export async function replaceFile(file: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  let temp: string | undefined;
  try {
    temp = await writeTemp(dir, bytes);
    await rename(temp, file);
  } catch (error) {
    if (temp) await unlink(temp).catch(() => undefined);
    throw outputError(dir, error);
  }
}
