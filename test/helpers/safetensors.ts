/** Writes small `.safetensors` files from TypeScript for tests (F32, F16 or BF16, little-endian). */
import { writeFileSync } from 'node:fs';
import { toHalfBits } from '../../src/pipeline/ops/fp16';

export type TestDType = 'F32' | 'F16' | 'BF16';

export interface TestTensor {
  readonly shape: readonly number[];
  readonly data?: Float32Array | readonly number[];
  readonly dtype?: TestDType;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → bfloat16 bits, round to nearest even. */
export function toBf16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Deterministic values in [-1, 1) from a seed, so every tensor differs. */
export function seeded(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

export function encodeSafetensors(tensors: Readonly<Record<string, TestTensor>>, metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const parts: Buffer[] = [];
  let offset = 0;
  let seed = 1;
  for (const [name, t] of Object.entries(tensors)) {
    const dtype = t.dtype ?? 'F32';
    const count = t.shape.reduce((a, d) => a * d, 1);
    const values = t.data ?? seeded(count, seed++);
    if (values.length !== count) throw new Error(`${name}: ${values.length} values for shape ${JSON.stringify(t.shape)}`);
    const bytes = Buffer.alloc(count * (dtype === 'F32' ? 4 : 2));
    for (let i = 0; i < count; i++) {
      if (dtype === 'F32') bytes.writeFloatLE(values[i], i * 4);
      else bytes.writeUInt16LE(dtype === 'F16' ? toHalfBits(values[i]) : toBf16Bits(values[i]), i * 2);
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(padded.length));
  return Buffer.concat([length, padded, ...parts]);
}

export function writeSafetensors(file: string, tensors: Readonly<Record<string, TestTensor>>, metadata?: Record<string, string>): void {
  writeFileSync(file, encodeSafetensors(tensors, metadata));
}
