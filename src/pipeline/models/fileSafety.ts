/** Refusals that protect the user: pickle/zip checkpoints and external data escaping the model folder. */
import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../../shared/errors';
import { checkRegularFileSync, FILE_KINDS, readHeadSync, type FileKind } from '../../shared/files/boundedRead';
import { scanExternalData } from './onnxScan';

export type UnsafeFormat = 'pickle' | 'zip-pickle';

/** Any file met while scanning a model folder: only its first bytes are read, whatever its size. */
const ANY_MODEL_FILE: FileKind = { ...FILE_KINDS.externalData, noun: 'file', maxBytes: Number.MAX_SAFE_INTEGER };

/**
 * Sniffs the first bytes: raw pickle starts with 0x80 and a protocol byte 2–5; torch zips with PK\x03\x04.
 * Only regular files are opened (a FIFO or device is refused, never waited on).
 */
export function sniffUnsafeFormat(file: string, kind: FileKind = ANY_MODEL_FILE): UnsafeFormat | undefined {
  const head = readHeadSync(file, kind, 4);
  const read = head.length;
  if (read >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) return 'pickle';
  if (read >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip-pickle';
  return undefined;
}

export function pickleRefusal(file: string): PipelineError {
  return new PipelineError(
    'MODEL_UNSAFE',
    `${file} is a PyTorch pickle checkpoint (.ckpt/.pt/.pth format, whatever its name). Atelier never loads pickle files ` +
      'because opening one can run arbitrary code. Use an ONNX export of the model instead (see "How to get a model" in the README).',
    { argument: file },
  );
}

/** True when `child` (already a realpath) lies inside `root` (already a realpath). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** A relative location with no `..`, no absolute or drive prefix, no NUL. Returns the reason it is unsafe. */
export function unsafeLocationReason(location: string): string | undefined {
  if (location.length === 0) return 'it is empty';
  if (location.includes('\0')) return 'it contains a NUL byte';
  if (path.isAbsolute(location) || location.startsWith('/') || location.startsWith('\\') || /^[a-zA-Z]:/.test(location)) {
    return 'it is an absolute path';
  }
  if (location.split(/[\\/]+/).some((segment) => segment === '..')) return 'it contains ".."';
  return undefined;
}

/**
 * Checks every external-data reference of `onnxFile`: a safe relative location that exists, resolves
 * (through any symlink) inside `modelRoot`, and is large enough for the declared offset + length.
 */
export function checkExternalData(onnxFile: string, modelRoot: string): void {
  checkRegularFileSync(onnxFile, FILE_KINDS.onnxGraph);
  let refs;
  try {
    refs = scanExternalData(onnxFile);
  } catch (error) {
    throw new PipelineError('MODEL_INVALID', `${onnxFile} is not a readable ONNX file: ${(error as Error).message}`, { argument: onnxFile });
  }
  const realRoot = realpathSync(modelRoot);
  const baseDir = path.dirname(onnxFile);
  for (const ref of refs) {
    const reason = unsafeLocationReason(ref.location);
    if (reason) {
      throw new PipelineError(
        'MODEL_UNSAFE',
        `${onnxFile}: tensor "${ref.tensor}" stores its weights at ${JSON.stringify(ref.location)}, which is refused because ${reason}. External data must stay inside the model folder.`,
        { argument: onnxFile },
      );
    }
    const target = path.join(baseDir, ref.location);
    let real: string;
    try {
      lstatSync(target);
      real = realpathSync(target);
    } catch {
      throw new PipelineError('MODEL_MISSING_FILE', `${onnxFile} needs the external weight file ${target}, which is missing`, { argument: target });
    }
    if (!isInside(realRoot, real)) {
      throw new PipelineError(
        'MODEL_UNSAFE',
        `${onnxFile}: external weight file ${target} resolves to ${real}, outside the model folder ${realRoot}; refused.`,
        { argument: target },
      );
    }
    // A FIFO or device here would hang onnxruntime or fail as "provider could not be initialised".
    const size = checkRegularFileSync(real, FILE_KINDS.externalData, `${onnxFile}'s external weight file`);
    if (ref.length !== undefined && ref.offset + ref.length > size) {
      throw new PipelineError('MODEL_INVALID', `${target} is ${size} bytes but tensor "${ref.tensor}" needs bytes up to ${ref.offset + ref.length}; the file is truncated`, { argument: target });
    }
  }
}
