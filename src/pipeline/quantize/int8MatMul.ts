/**
 * Dynamic int8 quantisation of a UNet's MatMul weights, made by Atelier from the fp32 graph: every MatMul
 * whose right operand is a 2-D fp32 initializer (the Linear layers: attention projections, feed-forward,
 * time embedding) becomes com.microsoft DynamicQuantizeMatMul with int8 weights, one scale per output column
 * (symmetric, zero point 0), its activations quantised per tensor at run time. Int8 weights are the fast
 * kernel on x64 (uint8 weights gain little); convolutions stay fp32, as ConvInteger is slower than fp32 and
 * QLinearConv needs calibrated output scales (onnxruntime-node-notes §11).
 *
 * Reads the source one tensor at a time (external data included) and writes the weights to one external
 * file, so memory stays around the largest tensor. onnx-proto is imported from where it is (a dev
 * dependency today; the worker bundle includes it).
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import { PipelineError } from '../../shared/errors';

const FLOAT = 1;
const INT8 = 3;
const EXTERNAL = 1;
/** Initializers at least this large go to the external weights file. */
const EXTERNAL_MIN_BYTES = 1024;
/** Smaller weight matrices are not worth a quantise/dequantise pair. */
const MIN_QUANTISED_ELEMENTS = 4096;

export interface QuantizeSummary {
  readonly quantised: number;
  readonly keptFloat: number;
  readonly fp32Bytes: number;
  readonly int8Bytes: number;
}

function externalEntry(t: onnx.ITensorProto, key: string): string | undefined {
  return t.externalData?.find((e) => e.key === key)?.value ?? undefined;
}

/** Reads a tensor's bytes from the model or its external data, confined to the model's folder. */
function tensorBytes(t: onnx.ITensorProto, dir: string, fds: Map<string, number>): Uint8Array {
  if (t.dataLocation === EXTERNAL) {
    const location = externalEntry(t, 'location') ?? '';
    const file = path.resolve(dir, location);
    if (path.dirname(file) !== path.resolve(dir) && !file.startsWith(path.resolve(dir) + path.sep)) {
      throw new PipelineError('MODEL_INVALID', `initializer ${t.name} points outside its model folder (${location})`);
    }
    const offset = Number(externalEntry(t, 'offset') ?? 0);
    const length = Number(externalEntry(t, 'length') ?? NaN);
    let fd = fds.get(file);
    if (fd === undefined) {
      fd = openSync(file, 'r');
      fds.set(file, fd);
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n === 0) throw new PipelineError('MODEL_INVALID', `${location} ends before initializer ${t.name} (offset ${offset}, length ${length})`);
      done += n;
    }
    return out;
  }
  if (t.rawData && t.rawData.length > 0) return t.rawData;
  if (t.dataType === FLOAT && t.floatData && t.floatData.length > 0) return new Uint8Array(Float32Array.from(t.floatData).buffer);
  return new Uint8Array(0);
}

function asFloat32(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/** Symmetric int8 per output column of a [K, N] matrix. */
export function quantiseColumns(w: Float32Array, k: number, n: number): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(n);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) scales[j] = Math.max(scales[j], Math.abs(w[i * n + j]));
  for (let j = 0; j < n; j++) scales[j] = scales[j] > 0 ? scales[j] / 127 : 1;
  const q = new Int8Array(k * n);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < n; j++) q[i * n + j] = Math.max(-127, Math.min(127, Math.round(w[i * n + j] / scales[j])));
  }
  return { q, scales };
}

/** Writes `dest` (and `weightsName` beside it): the graph of `source` with its MatMul weights in int8. */
export function quantizeMatMulsInt8(source: string, dest: string, options: { weightsName?: string; minElements?: number } = {}): QuantizeSummary {
  const weightsName = options.weightsName ?? 'weights.bin';
  const minElements = options.minElements ?? MIN_QUANTISED_ELEMENTS;
  const model = onnx.ModelProto.decode(readFileSync(source));
  const graph = model.graph;
  if (!graph) throw new PipelineError('MODEL_INVALID', `${source} has no graph`);
  const dir = path.dirname(source);
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const uses = new Map<string, number>();
  for (const node of graph.node ?? []) for (const input of node.input ?? []) uses.set(input, (uses.get(input) ?? 0) + 1);
  for (const output of graph.output ?? []) uses.set(output.name ?? '', (uses.get(output.name ?? '') ?? 0) + 1);

  const fds = new Map<string, number>();
  const out = openSync(path.join(path.dirname(dest), weightsName), 'w');
  let offset = 0;
  const summary = { quantised: 0, keptFloat: 0, fp32Bytes: 0, int8Bytes: 0 };
  const newInitializers: onnx.ITensorProto[] = [];
  const place = (t: onnx.ITensorProto, bytes: Uint8Array): void => {
    const placed: onnx.ITensorProto = { name: t.name, dims: t.dims, dataType: t.dataType };
    if (bytes.byteLength >= EXTERNAL_MIN_BYTES) {
      const pad = (64 - (offset % 64)) % 64;
      if (pad) writeSync(out, new Uint8Array(pad), 0, pad, offset);
      offset += pad;
      writeSync(out, bytes, 0, bytes.byteLength, offset);
      placed.dataLocation = EXTERNAL;
      placed.externalData = [
        { key: 'location', value: weightsName },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(bytes.byteLength) },
      ];
      offset += bytes.byteLength;
    } else {
      placed.rawData = bytes;
    }
    newInitializers.push(placed);
  };
  try {
    const quantisable = new Set<string>();
    for (const node of graph.node ?? []) {
      if (node.opType !== 'MatMul' || (node.domain ?? '') !== '' || (node.input ?? []).length !== 2) continue;
      const b = initializers.get(node.input?.[1] ?? '');
      const dims = (b?.dims ?? []).map(Number);
      if (!b || b.dataType !== FLOAT || dims.length !== 2 || dims[0] * dims[1] < minElements || uses.get(b.name ?? '') !== 1) continue;
      quantisable.add(b.name ?? '');
      node.opType = 'DynamicQuantizeMatMul';
      node.domain = 'com.microsoft';
      const name = b.name ?? '';
      node.input = [node.input?.[0] ?? '', `${name}.int8`, `${name}.scale`, `${name}.zero_point`];
    }
    for (const t of graph.initializer ?? []) {
      const bytes = tensorBytes(t, dir, fds);
      const name = t.name ?? '';
      if (!quantisable.has(name)) {
        summary.keptFloat += 1;
        place(t, bytes);
        continue;
      }
      const [k, n] = (t.dims ?? []).map(Number);
      const { q, scales } = quantiseColumns(asFloat32(bytes), k, n);
      place({ name: `${name}.int8`, dims: [k, n], dataType: INT8 }, new Uint8Array(q.buffer));
      place({ name: `${name}.scale`, dims: [n], dataType: FLOAT }, new Uint8Array(scales.buffer));
      place({ name: `${name}.zero_point`, dims: [n], dataType: INT8 }, new Uint8Array(n));
      summary.quantised += 1;
      summary.fp32Bytes += bytes.byteLength;
      summary.int8Bytes += q.byteLength;
    }
  } finally {
    closeSync(out);
    for (const fd of fds.values()) closeSync(fd);
  }
  graph.initializer = newInitializers;
  if (!(model.opsetImport ?? []).some((o) => o.domain === 'com.microsoft')) model.opsetImport = [...(model.opsetImport ?? []), { domain: 'com.microsoft', version: 1 }];
  writeFileSync(dest, onnx.ModelProto.encode(model).finish());
  return summary;
}
