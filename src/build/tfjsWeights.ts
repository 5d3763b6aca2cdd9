/**
 * The weight shards of a TensorFlow.js model (layers or graph): each manifest group's shards are one
 * byte stream, weights follow each other in manifest order. float32 weights may be stored as float16
 * (`quantization: { dtype: 'float16' }`); they come back as float32. int32 tensors (shapes, sizes)
 * come back as Int32Array.
 */
import { float16ToFloat32 } from '../pipeline/ops/fp16';

export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: { readonly dtype?: string };
}

export interface WeightsGroup {
  readonly paths: readonly string[];
  readonly weights: readonly WeightSpec[];
}

export type WeightData = { readonly shape: readonly number[]; readonly dtype: 'float32'; readonly data: Float32Array } | { readonly shape: readonly number[]; readonly dtype: 'int32'; readonly data: Int32Array };

export class ConversionError extends Error {}

function bytesPerValue(w: WeightSpec): number {
  if (w.dtype === 'float32' && w.quantization?.dtype === 'float16') return 2;
  if (w.quantization) throw new ConversionError(`weight ${w.name} is quantized to ${String(w.quantization.dtype)}; only float16 storage is supported`);
  if (w.dtype === 'float32' || w.dtype === 'int32') return 4;
  throw new ConversionError(`weight ${w.name} is ${w.dtype}; only float32 and int32 weights are supported`);
}

export function readWeights(manifest: readonly WeightsGroup[], readShard: (path: string) => Uint8Array): Map<string, WeightData> {
  const out = new Map<string, WeightData>();
  for (const group of manifest) {
    const bytes = new Uint8Array(Buffer.concat(group.paths.map(readShard)));
    let offset = 0;
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      const size = count * bytesPerValue(w);
      if (offset + size > bytes.length) throw new ConversionError(`weight ${w.name} runs past the end of its shards (${bytes.length} bytes)`);
      const slice = bytes.slice(offset, offset + size).buffer;
      offset += size;
      if (w.dtype === 'int32') out.set(w.name, { shape: w.shape, dtype: 'int32', data: new Int32Array(slice) });
      else out.set(w.name, { shape: w.shape, dtype: 'float32', data: size === count * 2 ? float16ToFloat32(new Uint16Array(slice)) : new Float32Array(slice) });
    }
    if (offset !== bytes.length) throw new ConversionError(`the shards of ${group.paths.join(', ')} hold ${bytes.length - offset} bytes the manifest does not name`);
  }
  return out;
}

/** [kh, kw, in, out] → [out, in, kh, kw]. */
export function hwioToOihw(data: Float32Array, shape: readonly number[]): Float32Array {
  const [kh, kw, cin, cout] = shape;
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = data[((y * kw + x) * cin + i) * cout + o];
  return out;
}
