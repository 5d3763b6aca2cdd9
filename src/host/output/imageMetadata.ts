/**
 * Generation parameters in the three formats Atelier writes, where AUTOMATIC1111 puts them: PNG in an
 * iTXt chunk `parameters` (pngText.ts), JPEG in an APP1 Exif segment and WebP in an EXIF chunk, both
 * holding the EXIF UserComment (exifUserComment.ts). Reading never throws: an image without (or with
 * unreadable) parameters gives undefined.
 */
import { exifWithUserComment, readUserComment } from './exifUserComment';
import { insertITxt, readTextChunks, withoutTextChunks } from './pngText';

export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The format an output file's extension asks for; undefined when Atelier does not write it. */
export function formatOfExtension(ext: string): OutputFormat | undefined {
  const lower = ext.toLowerCase();
  return lower === '.png' ? 'png' : lower === '.jpg' || lower === '.jpeg' ? 'jpeg' : lower === '.webp' ? 'webp' : undefined;
}

/** The format of encoded bytes, by signature. */
export function formatOfBytes(bytes: Uint8Array): OutputFormat | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');
/** The largest APP1 payload a JPEG segment holds. */
const MAX_SEGMENT = 0xffff - 2;

interface Segment {
  readonly marker: number;
  /** Where the marker starts and where the segment's payload starts and ends. */
  readonly at: number;
  readonly start: number;
  readonly end: number;
}

/** A JPEG's marker segments up to the start of scan (undefined when the structure is broken). */
function jpegSegments(b: Buffer): Segment[] | undefined {
  const out: Segment[] = [];
  let pos = 2;
  while (pos + 4 <= b.length && b[pos] === 0xff) {
    const marker = b[pos + 1];
    if (marker === 0xda || marker === 0xd9) return out;
    const length = b.readUInt16BE(pos + 2);
    if (length < 2 || pos + 2 + length > b.length) return undefined;
    out.push({ marker, at: pos, start: pos + 4, end: pos + 2 + length });
    pos += 2 + length;
  }
  return out;
}

interface Chunk {
  readonly fourcc: string;
  readonly data: Buffer;
}

/** A WebP's RIFF chunks (undefined when the structure is broken). */
function webpChunks(b: Buffer): Chunk[] | undefined {
  const out: Chunk[] = [];
  const end = Math.min(b.length, 8 + b.readUInt32LE(4));
  let pos = 12;
  while (pos + 8 <= end) {
    const length = b.readUInt32LE(pos + 4);
    if (pos + 8 + length > end) return undefined;
    out.push({ fourcc: b.toString('latin1', pos, pos + 4), data: b.subarray(pos + 8, pos + 8 + length) });
    pos += 8 + length + (length % 2);
  }
  return out;
}

function riff(chunks: readonly Chunk[]): Buffer {
  const parts = chunks.flatMap((c) => {
    const header = Buffer.alloc(8);
    header.write(c.fourcc, 0, 'latin1');
    header.writeUInt32LE(c.data.length, 4);
    return c.data.length % 2 ? [header, c.data, Buffer.alloc(1)] : [header, c.data];
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(4 + body.length, 4);
  head.write('WEBP', 8, 'latin1');
  return Buffer.concat([head, body]);
}

/** The `parameters` text of a PNG, JPEG or WebP, or undefined. */
export function readParameters(bytes: Uint8Array): string | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    switch (formatOfBytes(bytes)) {
      case 'png':
        return readTextChunks(bytes).get('parameters');
      case 'jpeg': {
        const app1 = jpegSegments(b)?.find((s) => s.marker === 0xe1 && b.subarray(s.start, s.start + 6).equals(EXIF_HEADER));
        return app1 ? readUserComment(b.subarray(app1.start + 6, app1.end)) : undefined;
      }
      case 'webp': {
        const exif = webpChunks(b)?.find((c) => c.fourcc === 'EXIF');
        return exif ? readUserComment(exif.data) : undefined;
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

export class MetadataTooLongError extends Error {}

/** JPEG: an APP1 Exif segment after SOI (and JFIF's APP0, which must come first), replacing any other. */
function jpegWithExif(b: Buffer, tiff: Buffer): Buffer {
  const payload = Buffer.concat([EXIF_HEADER, tiff]);
  if (payload.length > MAX_SEGMENT) throw new MetadataTooLongError(`the parameters take ${payload.length} bytes, more than a JPEG's ${MAX_SEGMENT}-byte EXIF segment holds; save as .png`);
  const segments = jpegSegments(b);
  if (!segments) throw new Error('not a well-formed JPEG');
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xffe1, 0);
  header.writeUInt16BE(payload.length + 2, 2);
  const jfif = segments[0]?.marker === 0xe0 ? segments[0].end : 2;
  const oldExif = segments.filter((s) => s.marker === 0xe1 && b.subarray(s.start, s.start + 6).equals(EXIF_HEADER));
  const kept: Buffer[] = [];
  let pos = jfif;
  for (const s of oldExif) {
    kept.push(b.subarray(pos, s.at));
    pos = s.end;
  }
  kept.push(b.subarray(pos));
  return Buffer.concat([b.subarray(0, jfif), header, payload, ...kept]);
}

/** WebP: an EXIF chunk at the end, in the extended (VP8X) format with its EXIF flag set. */
function webpWithExif(b: Buffer, tiff: Buffer, size: { width: number; height: number }): Buffer {
  const chunks = webpChunks(b);
  if (!chunks) throw new Error('not a well-formed WebP');
  const body = chunks.filter((c) => c.fourcc !== 'EXIF' && c.fourcc !== 'VP8X');
  const old = chunks.find((c) => c.fourcc === 'VP8X');
  const vp8x = Buffer.alloc(10);
  if (old) old.data.copy(vp8x, 0, 0, 10);
  else {
    vp8x.writeUIntLE(size.width - 1, 4, 3);
    vp8x.writeUIntLE(size.height - 1, 7, 3);
    // A lossless image with alpha says so in its VP8L header; a lossy one would carry an ALPH chunk.
    const lossless = body.find((c) => c.fourcc === 'VP8L');
    if (body.some((c) => c.fourcc === 'ALPH') || (lossless && (lossless.data[4] & 0x10) !== 0)) vp8x[0] |= 0x10;
  }
  vp8x[0] |= 0x08;
  return riff([{ fourcc: 'VP8X', data: vp8x }, ...body, { fourcc: 'EXIF', data: tiff }]);
}

/** The image with `text` as its `parameters` (PNG iTXt, JPEG/WebP EXIF UserComment). */
export function withParameters(bytes: Uint8Array, text: string, size: { width: number; height: number }): Uint8Array {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = formatOfBytes(bytes);
  if (format === 'png') return insertITxt(withoutTextChunks(bytes, 'parameters'), 'parameters', text);
  if (format === 'jpeg') return jpegWithExif(b, exifWithUserComment(text));
  if (format === 'webp') return webpWithExif(b, exifWithUserComment(text), size);
  throw new Error('parameters can be written into PNG, JPEG and WebP only');
}
