/** Adapts Float32 data to whatever dtype and rank a session input declares, and back. */
import { PipelineError } from '../../shared/errors';
import type { Session, TensorData, ValueInfo } from '../backends/onnx';
import { float16ToFloat32, float32ToFloat16 } from '../ops/fp16';

/** A float tensor with its dims (ControlNet residuals keep their shapes this way). */
export interface FloatTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export function findInput(session: Session, names: readonly string[], role: string): ValueInfo {
  const found = names.map((n) => session.inputs.find((i) => i.name === n)).find((i) => i !== undefined);
  if (found) return found;
  throw new PipelineError(
    'MODEL_INVALID',
    `${session.file} has no ${role} input (looked for ${names.join(', ')}; it has ${session.inputs.map((i) => i.name).join(', ')})`,
  );
}

export function pickOutput(session: Session, preferred: string): string {
  return (session.outputs.find((o) => o.name === preferred) ?? session.outputs[0]).name;
}

/** A float tensor in the input's declared precision (float16 crosses as Uint16Array bits). */
export function floatTensor(info: ValueInfo, values: Float32Array, dims: readonly number[]): TensorData {
  if (info.type === 'float32') return { type: 'float32', data: values, dims };
  if (info.type === 'float16') return { type: 'float16', data: float32ToFloat16(values), dims };
  throw new PipelineError('MODEL_INVALID', `input "${info.name}" has type ${info.type}; expected float32 or float16`);
}

export function readFloat(tensor: TensorData | undefined, name: string): Float32Array {
  if (!tensor) throw new PipelineError('MODEL_INVALID', `the model produced no "${name}" output`);
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') return float16ToFloat32(tensor.data as Uint16Array);
  throw new PipelineError('MODEL_INVALID', `output "${name}" has type ${tensor.type}; expected float32 or float16`);
}

/** Integer ids as int32 or int64, whichever the input declares. */
export function idsTensor(info: ValueInfo, ids: readonly number[], dims: readonly number[]): TensorData {
  if (info.type === 'int32') return { type: 'int32', data: Int32Array.from(ids), dims };
  if (info.type === 'int64') return { type: 'int64', data: BigInt64Array.from(ids, (v) => BigInt(v)), dims };
  throw new PipelineError('MODEL_INVALID', `input "${info.name}" has type ${info.type}; expected int32 or int64 token ids`);
}

/**
 * The timestep in the declared dtype and rank: `[]` → rank 0 (which also suits rank-free inputs),
 * `[1]` → one value, otherwise one value per batch item. Integer inputs get the rounded timestep.
 */
export function timestepTensor(info: ValueInfo, t: number, batch: number): TensorData {
  const rank0 = info.shape.length === 0;
  const count = rank0 ? 1 : info.shape[0] === 1 ? 1 : batch;
  const dims = rank0 ? [] : [count];
  switch (info.type) {
    case 'float32':
      return { type: 'float32', data: new Float32Array(count).fill(t), dims };
    case 'float16':
      return { type: 'float16', data: float32ToFloat16(new Float32Array(count).fill(t)), dims };
    case 'int64':
      return { type: 'int64', data: new BigInt64Array(count).fill(BigInt(Math.round(t))), dims };
    case 'int32':
      return { type: 'int32', data: new Int32Array(count).fill(Math.round(t)), dims };
    default:
      throw new PipelineError('MODEL_INVALID', `timestep input has type ${info.type}; expected float or integer`);
  }
}
