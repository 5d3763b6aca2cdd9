/**
 * The one way Atelier reads a file it did not just write itself (CLI, extension host and pipeline worker):
 * - regular files only: a symlink is followed and its target checked; a FIFO, device, socket or folder is
 *   refused with a message that names the file and what it is (a FIFO or /dev/zero never blocks or grows
 *   memory);
 * - a size cap per kind of file, checked from fstat before reading and again while reading (a file that
 *   grows, or a /proc file that reports size 0, still stops at the cap);
 * - the file is opened with O_NONBLOCK and checked on the open descriptor, so a FIFO cannot block the
 *   open and nothing can be swapped in between the check and the read.
 * Node-only (node:fs): never import it from a webview.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { PipelineError, type PipelineErrorCode } from '../errors';
import { MAX_PROMPT_CHARS } from '../request';

export interface FileKind {
  /** What the file is, in words: "image", "prompt file", "model config file". */
  readonly noun: string;
  readonly maxBytes: number;
  /** Why the cap is what it is, appended to the too-large message. */
  readonly why?: string;
  /** Code for a file that is missing (default FILE_UNREADABLE). */
  readonly missingCode?: PipelineErrorCode;
  /** Code for a file that is there but refused (default FILE_UNREADABLE). */
  readonly refusedCode?: PipelineErrorCode;
}

const MiB = 1024 * 1024;
const model = { missingCode: 'MODEL_MISSING_FILE', refusedCode: 'MODEL_INVALID' } as const;

/** The caps, one per kind of file (the README lists them). */
export const FILE_KINDS = {
  /** PNG, JPEG or WebP the user brings (init image, mask, control image, image to upscale or detect on). */
  image: { noun: 'image', maxBytes: 256 * MiB, why: 'images are decoded up to 4096×4096 for generation' },
  /** UTF-8 uses at most 4 bytes a character, plus a 3-byte BOM. */
  promptFile: { noun: 'prompt file', maxBytes: MAX_PROMPT_CHARS * 4 + 3, why: `a prompt is at most ${MAX_PROMPT_CHARS} characters` },
  /** model_index.json, scheduler_config.json, config.json, tokenizer_config.json, … */
  modelConfig: { noun: 'model config file', maxBytes: 1 * MiB, ...model },
  /** vocab.json (~1 MB for CLIP) and merges.txt (~0.5 MB). */
  tokenizer: { noun: 'tokenizer file', maxBytes: 16 * MiB, ...model },
  /** A protobuf ONNX graph cannot exceed 2 GiB; bigger models keep their weights in external data. */
  onnxGraph: { noun: 'ONNX model', maxBytes: 2 * 1024 * MiB, why: 'protobuf files are at most 2 GiB; bigger models store weights as external data', ...model },
  /** Weights stored beside an ONNX graph (unet/model.onnx_data, weights.pb). */
  externalData: { noun: 'external weight file', maxBytes: 64 * 1024 * MiB, ...model },
  /** An OpenPose JSON layer file. */
  poseJson: { noun: 'pose file', maxBytes: 16 * MiB },
  /** Small text files Atelier or huggingface_hub write: a cache ref, the stored Hub token. */
  smallText: { noun: 'file', maxBytes: 64 * 1024 },
} as const satisfies Record<string, FileKind>;

export type FileReadReason = 'missing' | 'not-a-file' | 'too-large' | 'unreadable';

/** A refused or failed read; the message names the file and why. */
export class FileReadError extends PipelineError {
  constructor(
    readonly file: string,
    readonly reason: FileReadReason,
    code: PipelineErrorCode,
    message: string,
  ) {
    super(code, message, { argument: file });
    this.name = 'FileReadError';
  }
}

/** "a named pipe (FIFO)", "a folder", … for anything that is not a regular file. */
export function describeNonRegular(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function label(kind: FileKind, file: string, as?: string): string {
  return `${as ?? kind.noun} ${file}`;
}

function openFailure(kind: FileKind, file: string, error: unknown, as?: string): FileReadError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FileReadError(file, 'missing', kind.missingCode ?? 'FILE_UNREADABLE', `cannot read ${label(kind, file, as)}: it does not exist`);
  if (code === 'EISDIR') return new FileReadError(file, 'not-a-file', kind.refusedCode ?? 'FILE_UNREADABLE', `cannot read ${label(kind, file, as)}: it is a folder, not a regular file`);
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ELOOP' ? 'too many levels of symbolic links' : (code ?? (error as Error).message);
  return new FileReadError(file, 'unreadable', kind.refusedCode ?? 'FILE_UNREADABLE', `cannot read ${label(kind, file, as)}: ${why}`);
}

function notRegular(kind: FileKind, file: string, stats: Stats, as?: string): FileReadError {
  return new FileReadError(file, 'not-a-file', kind.refusedCode ?? 'FILE_UNREADABLE', `cannot read ${label(kind, file, as)}: it is ${describeNonRegular(stats)}, not a regular file (Atelier reads only regular files)`);
}

/** `size` from fstat; undefined when the file only turned out too large while reading (it grew, or /proc). */
function tooLarge(kind: FileKind, file: string, size: number | undefined, as?: string): FileReadError {
  const shown = size !== undefined ? `${size} bytes` : `more than ${kind.maxBytes} bytes`;
  return new FileReadError(
    file,
    'too-large',
    kind.refusedCode ?? 'FILE_UNREADABLE',
    `cannot read ${label(kind, file, as)}: it is ${shown}; ${/^[aeiou]/i.test(kind.noun) ? 'an' : 'a'} ${kind.noun} may be at most ${kind.maxBytes} bytes${kind.why ? ` (${kind.why})` : ''}`,
  );
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Checks without reading that `file` (after symlinks) is a regular file within the cap; returns its size.
 * For files another library opens by path (ONNX graphs and their external data).
 */
export function checkRegularFileSync(file: string, kind: FileKind, as?: string): number {
  let stats: Stats;
  try {
    stats = statSync(file);
  } catch (error) {
    throw openFailure(kind, file, error, as);
  }
  if (!stats.isFile()) throw notRegular(kind, file, stats, as);
  if (stats.size > kind.maxBytes) throw tooLarge(kind, file, stats.size, as);
  return stats.size;
}

/**
 * The read loop of both readers: yields the next buffer to fill (sized from the reported size, so a
 * regular file is usually one read), takes the number of bytes read, stops at EOF or `limit` bytes, and
 * returns what was read.
 */
function* chunks(reportedSize: number, limit: number): Generator<Buffer, Buffer, number> {
  const parts: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const chunk = Buffer.alloc(Math.min(limit - total, Math.max(64 * 1024, reportedSize - total + 1)));
    const read: number = yield chunk;
    if (read === 0) break;
    parts.push(chunk.subarray(0, read));
    total += read;
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
}

/** Refuses what is not a regular file, or is over the cap, from the open descriptor's stats. */
function checkOpened(stats: Stats, kind: FileKind, file: string, as: string | undefined): void {
  if (!stats.isFile()) throw notRegular(kind, file, stats, as);
  if (stats.size > kind.maxBytes) throw tooLarge(kind, file, stats.size, as);
}

/** Reads a whole regular file of at most `kind.maxBytes` bytes (synchronously, for the worker's model checks). */
export function readBoundedSync(file: string, kind: FileKind, as?: string): Buffer {
  return readSyncUpTo(file, kind, kind.maxBytes + 1, as, true);
}

/** The first `bytes` bytes of a regular file within the cap (a format sniff). */
export function readHeadSync(file: string, kind: FileKind, bytes: number): Buffer {
  return readSyncUpTo(file, kind, bytes, undefined, false);
}

function readSyncUpTo(file: string, kind: FileKind, bytes: number, as: string | undefined, whole: boolean): Buffer {
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS);
  } catch (error) {
    throw openFailure(kind, file, error, as);
  }
  try {
    const stats = fstatSync(fd);
    checkOpened(stats, kind, file, as);
    const plan = chunks(stats.size, Math.min(bytes, kind.maxBytes + 1));
    let step = plan.next();
    while (!step.done) step = plan.next(readSync(fd, step.value, 0, step.value.length, null));
    if (whole && step.value.length > kind.maxBytes) throw tooLarge(kind, file, undefined, as);
    return step.value;
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    throw openFailure(kind, file, error, as);
  } finally {
    closeSync(fd);
  }
}

/** Reads a whole regular file of at most `kind.maxBytes` bytes. `as` replaces the noun in messages ("--init-image"). */
export function readBounded(file: string, kind: FileKind, as?: string): Promise<Buffer> {
  return readUpTo(file, kind, kind.maxBytes + 1, as, true);
}

/** The first `bytes` bytes of a regular file within the cap (a PNG's text chunks, a format sniff). */
export function readHead(file: string, kind: FileKind, bytes: number): Promise<Buffer> {
  return readUpTo(file, kind, bytes, undefined, false);
}

async function readUpTo(file: string, kind: FileKind, bytes: number, as: string | undefined, whole: boolean): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, OPEN_FLAGS);
  } catch (error) {
    throw openFailure(kind, file, error, as);
  }
  try {
    const stats = await handle.stat();
    checkOpened(stats, kind, file, as);
    const plan = chunks(stats.size, Math.min(bytes, kind.maxBytes + 1));
    let step = plan.next();
    while (!step.done) step = plan.next((await handle.read(step.value, 0, step.value.length, null)).bytesRead);
    if (whole && step.value.length > kind.maxBytes) throw tooLarge(kind, file, undefined, as);
    return step.value;
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    throw openFailure(kind, file, error, as);
  } finally {
    await handle.close();
  }
}
