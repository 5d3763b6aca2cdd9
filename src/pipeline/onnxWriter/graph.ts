/**
 * A small DSL over onnx-proto for writing ONNX graphs from TypeScript: the Stable Diffusion graphs Atelier builds
 * from checkpoints (src/pipeline/convert), the converted upscalers and the test and demo models. Initializers
 * above a size threshold go to an external data file laid out the way exporters write them (location/offset/length
 * entries, 4 KiB aligned): either collected and written at encode time, or, with `stream`, appended to the file
 * as they are added so a multi-gigabyte UNet never sits in memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { onnx } from 'onnx-proto';

export type DType = 'float32' | 'float16' | 'int32' | 'int64';
const DATA_TYPE: Record<DType, number> = { float32: 1, float16: 10, int32: 6, int64: 7 };

export type Attr =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly string: string };

export const I = (v: number): Attr => ({ int: v });
export const F = (v: number): Attr => ({ float: v });
export const INTS = (v: readonly number[]): Attr => ({ ints: v });
export const S = (v: string): Attr => ({ string: v });

function attribute(name: string, value: Attr): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: T.INT, i: value.int };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  if ('ints' in value) return { name, type: T.INTS, ints: [...value.ints] };
  if ('floats' in value) return { name, type: T.FLOATS, floats: [...value.floats] };
  return { name, type: T.STRING, s: new TextEncoder().encode(value.string) };
}

function valueInfo(name: string, type: DType, shape: readonly (number | string)[] | null): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: shape === null ? undefined : { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export interface ExternalDataOptions {
  /** File name next to model.onnx: weights.pb, model.onnx_data or model.onnx.data. */
  readonly location: string;
  /** Initializers at least this large go external (exporters use small thresholds too). */
  readonly minBytes?: number;
}

/** Streams large initializers to `file` (named `location` in the model) as they are added. */
export interface StreamedExternalData {
  readonly file: string;
  readonly location: string;
  /** Initializers at least this large go to the file (default 1 KiB); smaller ones stay inline. */
  readonly minBytes?: number;
}

const ALIGN = 4096;

export interface EncodedModel {
  readonly model: Uint8Array;
  readonly external?: { readonly location: string; readonly data: Buffer };
}

interface Initializer {
  readonly name: string;
  readonly type: DType;
  readonly dims: readonly number[];
  /** Inline (or external at encode time) bytes; absent once streamed. */
  readonly bytes?: Uint8Array;
  readonly streamed?: { readonly offset: number; readonly length: number };
}

export class Graph {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: Initializer[] = [];
  private fd: number | undefined;
  private streamedBytes = 0;

  constructor(private readonly stream?: StreamedExternalData) {}
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private counter = 0;

  /** Declares a graph input; `shape: null` leaves the shape undeclared (rank-free). */
  input(name: string, type: DType, shape: readonly (number | string)[] | null): string {
    this.inputs.push(valueInfo(name, type, shape));
    return name;
  }

  output(name: string, type: DType, shape: readonly (number | string)[] | null): void {
    this.outputs.push(valueInfo(name, type, shape));
  }

  private fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }

  /** A float32 initializer. */
  weight(values: Float32Array | readonly number[], dims: readonly number[], prefix = 'w'): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`initializer ${prefix}: ${data.length} values for dims ${dims}`);
    const name = this.fresh(prefix);
    this.add(name, 'float32', dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return name;
  }

  /** A float16 initializer from float16 bit patterns. */
  half(bits: Uint16Array, dims: readonly number[], prefix = 'h'): string {
    if (bits.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`initializer ${prefix}: ${bits.length} values for dims ${dims}`);
    const name = this.fresh(prefix);
    this.add(name, 'float16', dims, new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength));
    return name;
  }

  /** An int64 initializer (shapes, indices). */
  int64(values: readonly number[], dims: readonly number[] = [values.length], prefix = 'i'): string {
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    const name = this.fresh(prefix);
    this.add(name, 'int64', dims, new Uint8Array(data.buffer));
    return name;
  }

  /** Streams the bytes now when they are large enough, else keeps a copy (callers may reuse their arrays). */
  private add(name: string, type: DType, dims: readonly number[], bytes: Uint8Array): void {
    if (this.stream && bytes.byteLength >= (this.stream.minBytes ?? 1024)) {
      this.fd ??= openSync(this.stream.file, 'w');
      const padding = (ALIGN - (this.streamedBytes % ALIGN)) % ALIGN;
      // Positioned writes only (pwrite leaves the file position alone, so an unpositioned write would land at 0).
      if (padding) writeSync(this.fd, Buffer.alloc(padding), 0, padding, this.streamedBytes);
      const offset = this.streamedBytes + padding;
      for (let done = 0; done < bytes.byteLength; ) done += writeSync(this.fd, bytes, done, bytes.byteLength - done, offset + done);
      this.streamedBytes = offset + bytes.byteLength;
      this.initializers.push({ name, type, dims, streamed: { offset, length: bytes.byteLength } });
      return;
    }
    this.initializers.push({ name, type, dims, bytes: bytes.slice() });
  }

  /** Closes the streamed data file (encode does it too); safe to call twice, and on failure paths. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Bytes written to the streamed data file so far. */
  get externalBytes(): number {
    return this.streamedBytes;
  }

  scalar(value: number): string {
    return this.weight([value], [], 's');
  }

  /** Adds a node and returns its (first) output name. */
  op(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, Attr>> = {}, output?: string): string {
    const out = output ?? this.fresh(opType.toLowerCase());
    this.nodes.push({
      opType,
      input: [...inputs],
      output: [out],
      name: this.fresh(`n_${opType}`),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** The model bytes; with `stream` the data file is already complete (and closed here). */
  encode(opset: number, external?: ExternalDataOptions): EncodedModel {
    if (external && this.stream) throw new Error('Graph.encode: external data is already streamed; pass no ExternalDataOptions');
    this.close();
    const chunks: Buffer[] = [];
    let offset = 0;
    const tensors: onnx.ITensorProto[] = this.initializers.map((init) => {
      const base: onnx.ITensorProto = { name: init.name, dims: [...init.dims], dataType: DATA_TYPE[init.type] };
      if (init.streamed && this.stream) {
        return {
          ...base,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: this.stream.location },
            { key: 'offset', value: String(init.streamed.offset) },
            { key: 'length', value: String(init.streamed.length) },
          ],
        };
      }
      if (!init.bytes) throw new Error(`initializer ${init.name} has no data`);
      if (external && init.bytes.byteLength >= (external.minBytes ?? 1024)) {
        const padding = (4096 - (offset % 4096)) % 4096;
        if (padding) chunks.push(Buffer.alloc(padding));
        offset += padding;
        chunks.push(Buffer.from(init.bytes));
        const entry = {
          ...base,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: external.location },
            { key: 'offset', value: String(offset) },
            { key: 'length', value: String(init.bytes.byteLength) },
          ],
        };
        offset += init.bytes.byteLength;
        return entry;
      }
      return { ...base, rawData: init.bytes };
    });
    const model = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 8,
        producerName: 'atelier',
        opsetImport: [{ domain: '', version: opset }],
        graph: { name: 'g', node: this.nodes, initializer: tensors, input: this.inputs, output: this.outputs },
      }),
    ).finish();
    return external && chunks.length > 0 ? { model, external: { location: external.location, data: Buffer.concat(chunks) } } : { model };
  }
}
