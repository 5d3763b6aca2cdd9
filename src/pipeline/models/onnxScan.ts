/**
 * Reads the external-data references of an ONNX file without loading its weights: a positional
 * protobuf walk over ModelProto.graph(7) → GraphProto.initializer(5) → TensorProto fields
 * name(8), external_data(13) and data_location(14). Large payloads (raw_data) are skipped by offset,
 * so a multi-GB inline model costs a few KB of reads.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface ExternalDataRef {
  readonly tensor: string;
  readonly location: string;
  readonly offset: number;
  readonly length: number | undefined;
}

const WIRE_VARINT = 0;
const WIRE_64 = 1;
const WIRE_LEN = 2;
const WIRE_32 = 5;

class FileReader {
  private readonly buffer = Buffer.alloc(64 * 1024);
  private bufferStart = 0;
  private bufferEnd = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  byteAt(pos: number): number {
    if (pos >= this.size) throw new Error('truncated protobuf');
    if (pos < this.bufferStart || pos >= this.bufferEnd) {
      const read = readSync(this.fd, this.buffer, 0, this.buffer.length, pos);
      this.bufferStart = pos;
      this.bufferEnd = pos + read;
    }
    return this.buffer[pos - this.bufferStart];
  }

  bytes(pos: number, length: number): Buffer {
    if (pos + length > this.size) throw new Error('truncated protobuf');
    const out = Buffer.alloc(length);
    readSync(this.fd, out, 0, length, pos);
    return out;
  }

  /** Returns [value, nextPos]; values above 2^53 lose precision, which offsets never reach. */
  varint(pos: number): [number, number] {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byteAt(pos++);
      result += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) return [result, pos];
      multiplier *= 128;
    }
    throw new Error('malformed varint');
  }
}

interface Field {
  readonly number: number;
  readonly wire: number;
  /** For LEN fields: start of the payload. For others: start of the value. */
  readonly start: number;
  readonly end: number;
  readonly value: number;
}

function* fields(reader: FileReader, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [tag, afterTag] = reader.varint(pos);
    const number = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === WIRE_VARINT) {
      const [value, next] = reader.varint(afterTag);
      yield { number, wire, start: afterTag, end: next, value };
      pos = next;
    } else if (wire === WIRE_LEN) {
      const [length, payload] = reader.varint(afterTag);
      const payloadEnd = payload + length;
      if (payloadEnd > end) throw new Error('field runs past its message');
      yield { number, wire, start: payload, end: payloadEnd, value: length };
      pos = payloadEnd;
    } else if (wire === WIRE_64) {
      pos = afterTag + 8;
    } else if (wire === WIRE_32) {
      pos = afterTag + 4;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
  if (pos !== end) throw new Error('message length mismatch');
}

function tensorExternalRef(reader: FileReader, field: Field): ExternalDataRef | undefined {
  let name = '';
  let external = false;
  const entries = new Map<string, string>();
  for (const f of fields(reader, field.start, field.end)) {
    if (f.number === 8 && f.wire === WIRE_LEN) name = reader.bytes(f.start, f.value).toString('utf8');
    else if (f.number === 14 && f.wire === WIRE_VARINT) external = f.value === 1;
    else if (f.number === 13 && f.wire === WIRE_LEN) {
      let key = '';
      let value = '';
      for (const kv of fields(reader, f.start, f.end)) {
        if (kv.wire !== WIRE_LEN) continue;
        const text = reader.bytes(kv.start, kv.value).toString('utf8');
        if (kv.number === 1) key = text;
        else if (kv.number === 2) value = text;
      }
      entries.set(key, value);
    }
  }
  if (!external) return undefined;
  const offset = Number(entries.get('offset') ?? '0');
  const lengthText = entries.get('length');
  return { tensor: name, location: entries.get('location') ?? '', offset, length: lengthText === undefined ? undefined : Number(lengthText) };
}

/** All external-data references of the graph initializers in `file`. Throws on malformed protobuf. */
export function scanExternalData(file: string): ExternalDataRef[] {
  const fd = openSync(file, 'r');
  try {
    const reader = new FileReader(fd, fstatSync(fd).size);
    const refs: ExternalDataRef[] = [];
    for (const top of fields(reader, 0, reader.size)) {
      if (top.number !== 7 || top.wire !== WIRE_LEN) continue;
      for (const g of fields(reader, top.start, top.end)) {
        if (g.number !== 5 || g.wire !== WIRE_LEN) continue;
        const ref = tensorExternalRef(reader, g);
        if (ref) refs.push(ref);
      }
    }
    return refs;
  } finally {
    closeSync(fd);
  }
}
