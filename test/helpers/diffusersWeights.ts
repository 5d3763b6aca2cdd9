/**
 * Test-only WeightSource over a diffusers folder of safetensors (unet/, vae/, text_encoder/, text_encoder_2/),
 * reading one tensor at a time with positioned reads. The product reader (src/pipeline/convert) replaces it.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { float16ToFloat32 } from '../../src/pipeline/ops/fp16';
import type { SourceDType, TensorInfo, WeightSource } from '../../src/pipeline/convert/types';

interface Entry extends TensorInfo {
  readonly file: string;
  readonly begin: number;
  readonly end: number;
}

const FILES: Record<string, string> = {
  unet: 'unet/diffusion_pytorch_model.safetensors',
  vae: 'vae/diffusion_pytorch_model.safetensors',
  text_encoder: 'text_encoder/model.safetensors',
  text_encoder_2: 'text_encoder_2/model.safetensors',
};

function header(file: string): { readonly base: number; readonly tensors: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> } {
  const fd = openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    const json = Buffer.alloc(n);
    readSync(fd, json, 0, n, 8);
    const parsed = JSON.parse(json.toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    delete parsed.__metadata__;
    return { base: 8 + n, tensors: parsed };
  } finally {
    closeSync(fd);
  }
}

export function diffusersFolderWeights(folder: string): WeightSource {
  const entries = new Map<string, Entry>();
  for (const [component, rel] of Object.entries(FILES)) {
    const file = path.join(folder, rel);
    if (!existsSync(file)) continue;
    const { base, tensors } = header(file);
    for (const [key, t] of Object.entries(tensors)) {
      entries.set(`${component}.${key}`, { name: `${component}.${key}`, dtype: t.dtype as SourceDType, shape: t.shape, file, begin: base + t.data_offsets[0], end: base + t.data_offsets[1] });
    }
  }
  return {
    names: () => [...entries.keys()],
    info: (name) => entries.get(name),
    read: async (name) => {
      const e = entries.get(name);
      if (!e) throw new Error(`no tensor ${name}`);
      const bytes = Buffer.alloc(e.end - e.begin);
      const fd = openSync(e.file, 'r');
      try {
        for (let done = 0; done < bytes.length; ) done += readSync(fd, bytes, done, bytes.length - done, e.begin + done);
      } finally {
        closeSync(fd);
      }
      const aligned = new Uint8Array(bytes).buffer;
      if (e.dtype === 'F32') return new Float32Array(aligned);
      if (e.dtype === 'F16') return float16ToFloat32(new Uint16Array(aligned));
      if (e.dtype === 'BF16') {
        const src = new Uint16Array(aligned);
        const out = new Uint32Array(src.length);
        for (let i = 0; i < src.length; i += 1) out[i] = src[i] << 16;
        return new Float32Array(out.buffer);
      }
      throw new Error(`${name}: dtype ${e.dtype} is not a float`);
    },
  };
}
