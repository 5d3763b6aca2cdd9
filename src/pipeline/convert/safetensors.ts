/**
 * Reads `.safetensors` files (8-byte little-endian header length, a JSON header, raw little-endian tensors)
 * without ever holding the file in the JS heap: the header is parsed once, bounded and checked, then each
 * tensor is read at its own offset when asked for and widened to float32.
 * A pickle under any name is refused before the header is trusted.
 */
import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { PipelineError } from '../../shared/errors';
import { describeNonRegular } from '../../shared/files/boundedRead';
import type { SourceDType } from './types';

/** The biggest header Atelier accepts. Real SDXL checkpoints carry ~250 KB; 100 MB is the format's own limit. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const BYTES: Record<SourceDType, number> = { F32: 4, F16: 2, BF16: 2 };

export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SourceDType;
  readonly shape: readonly number[];
  /** Absolute byte offsets in the file. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsFile {
  readonly file: string;
  readonly size: number;
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
  /** The header's `__metadata__` (string values only, as the format requires). */
  readonly metadata: Readonly<Record<string, string>>;
  /** One tensor widened to float32. */
  read(name: string): Promise<Float32Array>;
  /** The tensor's raw bytes (for hashing or copying). */
  readRaw(name: string): Promise<Buffer>;
  close(): Promise<void>;
}

function invalid(file: string, why: string): PipelineError {
  return new PipelineError('MODEL_INVALID', `${file} is not a valid safetensors file: ${why}`, { argument: file });
}

export function pickleRefusalFor(file: string): PipelineError {
  return new PipelineError(
    'MODEL_UNSAFE',
    `${file} is a PyTorch pickle checkpoint (.ckpt/.pt/.pth/.bin format, whatever its name). Atelier never loads pickle files because ` +
      'opening one can run arbitrary code. Use the .safetensors release of the model (most models publish one), or an ONNX export.',
    { argument: file },
  );
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

async function readExactly(handle: FileHandle, file: string, length: number, position: number, into?: Buffer): Promise<Buffer> {
  const buffer = into ?? Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw invalid(file, `it ends at byte ${position + done} while ${position + length} bytes were expected (truncated file)`);
    done += bytesRead;
  }
  return buffer;
}

function parseEntries(file: string, header: unknown, dataStart: number, size: number): { entries: Map<string, SafetensorsEntry>; metadata: Record<string, string> } {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw invalid(file, 'the header is not a JSON object');
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  const dataBytes = size - dataStart;
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(file, '__metadata__ is not an object');
      metadata = Object.fromEntries(Object.entries(value as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
      continue;
    }
    if (typeof value !== 'object' || value === null) throw invalid(file, `tensor "${name}" is described by ${JSON.stringify(value)}, not an object`);
    const { dtype, shape, data_offsets: offsets } = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') {
      throw invalid(file, `tensor "${name}" has dtype ${JSON.stringify(dtype)}; Atelier reads F32, F16 and BF16 weights`);
    }
    if (!Array.isArray(shape) || !shape.every((d): d is number => Number.isSafeInteger(d) && d >= 0)) throw invalid(file, `tensor "${name}" has shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o): o is number => Number.isSafeInteger(o) && o >= 0)) {
      throw invalid(file, `tensor "${name}" has data_offsets ${JSON.stringify(offsets)}`);
    }
    const [b, e] = offsets;
    const elements = shape.reduce((a, d) => a * d, 1);
    if (e < b || e - b !== elements * BYTES[dtype]) {
      throw invalid(file, `tensor "${name}" (${dtype} ${JSON.stringify(shape)}) needs ${elements * BYTES[dtype]} bytes but its data_offsets [${b}, ${e}] span ${e - b}`);
    }
    if (e > dataBytes) throw invalid(file, `tensor "${name}" ends at byte ${dataStart + e} but the file is ${size} bytes (truncated file, or the header lies)`);
    entries.set(name, { name, dtype, shape, begin: dataStart + b, end: dataStart + e });
  }
  return { entries, metadata };
}

/** Widens raw little-endian F32/F16/BF16 bytes to a fresh Float32Array. */
export function toFloat32(raw: Buffer, dtype: SourceDType): Float32Array {
  const count = raw.length / BYTES[dtype];
  const out = new Float32Array(count);
  if (dtype === 'F32') {
    Buffer.from(out.buffer).set(raw);
    return out;
  }
  const bits = new Uint32Array(out.buffer);
  if (dtype === 'BF16') {
    for (let i = 0; i < count; i++) bits[i] = raw.readUInt16LE(i * 2) << 16;
    return out;
  }
  for (let i = 0; i < count; i++) bits[i] = halfToFloatBits(raw.readUInt16LE(i * 2));
  return out;
}

/** IEEE half bits → float32 bits (exact: every half is a float). */
function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    let e = 113; // 127 - 15 + 1
    while ((mant & 0x400) === 0) {
      mant <<= 1;
      e--;
    }
    return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
  }
  return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
}

function checkRegular(file: string, stats: Stats): void {
  if (!stats.isFile()) {
    throw new PipelineError('MODEL_INVALID', `cannot read checkpoint ${file}: it is ${describeNonRegular(stats)}, not a regular file (Atelier reads only regular files)`, { argument: file });
  }
}

/** Opens and checks a safetensors file; only the header is read now. Close it when done. */
export async function openSafetensors(file: string): Promise<SafetensorsFile> {
  let handle: FileHandle;
  try {
    handle = await open(file, OPEN_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new PipelineError('MODEL_MISSING_FILE', `checkpoint ${file} does not exist`, { argument: file });
    if (code === 'EISDIR') throw new PipelineError('MODEL_INVALID', `cannot read checkpoint ${file}: it is a folder, not a regular file`, { argument: file });
    throw new PipelineError('MODEL_INVALID', `cannot read checkpoint ${file}: ${code ?? (error as Error).message}`, { argument: file });
  }
  try {
    const stats = await handle.stat();
    checkRegular(file, stats);
    const size = stats.size;
    if (size < 8) throw invalid(file, `it is ${size} bytes, shorter than the 8-byte header length`);
    const head = await readExactly(handle, file, 8, 0);
    if (head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) throw pickleRefusalFor(file);
    if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) throw pickleRefusalFor(file);
    const headerLength = Number(head.readBigUInt64LE(0));
    if (headerLength > MAX_HEADER_BYTES) throw invalid(file, `its header claims ${headerLength} bytes; a safetensors header is at most ${MAX_HEADER_BYTES} bytes`);
    if (8 + headerLength > size) throw invalid(file, `its header claims ${headerLength} bytes but the file is only ${size} bytes (truncated file)`);
    const headerBytes = await readExactly(handle, file, headerLength, 8);
    if (headerBytes[0] !== 0x7b) throw invalid(file, 'the header does not start with "{"');
    let parsed: unknown;
    try {
      parsed = JSON.parse(headerBytes.toString('utf8'));
    } catch (error) {
      throw invalid(file, `the header is not JSON (${(error as Error).message})`);
    }
    const { entries, metadata } = parseEntries(file, parsed, 8 + headerLength, size);
    const entryOf = (name: string): SafetensorsEntry => {
      const entry = entries.get(name);
      if (!entry) throw new PipelineError('MODEL_INVALID', `${file} has no tensor "${name}"`, { argument: file });
      return entry;
    };
    const readRaw = async (name: string): Promise<Buffer> => {
      const entry = entryOf(name);
      return readExactly(handle, file, entry.end - entry.begin, entry.begin);
    };
    return {
      file,
      size,
      entries,
      metadata,
      readRaw,
      read: async (name) => {
        const entry = entryOf(name);
        if (entry.dtype !== 'F32') return toFloat32(await readRaw(name), entry.dtype);
        // Little-endian hosts only (x64, arm64): the bytes land straight in the result, no second copy.
        const out = new Float32Array((entry.end - entry.begin) / 4);
        await readExactly(handle, file, entry.end - entry.begin, entry.begin, Buffer.from(out.buffer));
        return out;
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
