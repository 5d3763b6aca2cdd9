/** A WeightSource over safetensors files whose tensors are renamed (and maybe reshaped, sliced, transposed). */
import { PipelineError } from '../../shared/errors';
import type { KeyMapping, Transform } from './ldmKeys';
import type { SafetensorsFile } from './safetensors';
import type { TensorInfo, WeightSource } from './types';

export interface SourcedMapping extends KeyMapping {
  readonly file: SafetensorsFile;
}

function apply(values: Float32Array, sourceShape: readonly number[], t: Transform): Float32Array {
  switch (t.kind) {
    case 'copy':
    case 'squeeze':
      return values;
    case 'rows': {
      const rows = sourceShape[0] / t.parts;
      const width = values.length / sourceShape[0];
      return values.slice(t.part * rows * width, (t.part + 1) * rows * width);
    }
    case 'transpose': {
      const [r, c] = sourceShape;
      const out = new Float32Array(values.length);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = values[i * c + j];
      return out;
    }
  }
}

export function mappedSource(mappings: readonly SourcedMapping[]): WeightSource {
  const byTarget = new Map<string, SourcedMapping>();
  for (const m of mappings) {
    if (byTarget.has(m.target)) {
      throw new PipelineError('MODEL_INVALID', `${m.file.file}: both "${byTarget.get(m.target)?.source}" and "${m.source}" map to ${m.target}; the checkpoint holds the same weight twice`, { argument: m.file.file });
    }
    byTarget.set(m.target, m);
  }
  const names = [...byTarget.keys()];
  return {
    names: () => names,
    info: (name): TensorInfo | undefined => {
      const m = byTarget.get(name);
      const entry = m && m.file.entries.get(m.source);
      return m && entry ? { name, dtype: entry.dtype, shape: m.shape } : undefined;
    },
    read: async (name) => {
      const m = byTarget.get(name);
      const entry = m && m.file.entries.get(m.source);
      if (!m || !entry) throw new PipelineError('MODEL_INVALID', `the checkpoint has no weight ${name}`, { argument: name });
      return apply(await m.file.read(m.source), entry.shape, m.transform);
    },
  };
}
