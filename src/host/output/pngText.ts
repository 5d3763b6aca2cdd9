/**
 * PNG text chunks without a native dependency: insert an iTXt chunk right after IHDR (where sharp and
 * other readers that stop at IDAT still see it) and read tEXt/iTXt/zTXt back with size caps.
 */
import { inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Decompressed text above this size is refused (zTXt/iTXt bombs). */
export const MAX_TEXT_BYTES = 1024 * 1024;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(data.length, 0);
  header.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([header.subarray(4), data])), 0);
  return Buffer.concat([header, data, crc]);
}

function assertPng(png: Uint8Array): Buffer {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (buf.length < 33 || !buf.subarray(0, 8).equals(SIGNATURE) || buf.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error('not a PNG file (bad signature or missing IHDR)');
  }
  return buf;
}

/** Returns a new PNG with an uncompressed UTF-8 iTXt chunk `keyword` inserted after IHDR. */
export function insertITxt(png: Uint8Array, keyword: string, text: string): Uint8Array {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new Error(`iTXt keyword must be 1–79 printable Latin-1 characters, got ${JSON.stringify(keyword)}`);
  const buf = assertPng(png);
  const ihdrEnd = 8 + 12 + buf.readUInt32BE(8);
  // keyword \0, compression flag 0, method 0, language "" \0, translated keyword "" \0, UTF-8 text
  const data = Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, 'utf8')]);
  return Buffer.concat([buf.subarray(0, ihdrEnd), chunk('iTXt', data), buf.subarray(ihdrEnd)]);
}

function inflateCapped(data: Buffer): string {
  const out = inflateSync(data, { maxOutputLength: MAX_TEXT_BYTES });
  return out.toString('utf8');
}

/** All text chunks (tEXt Latin-1, zTXt, iTXt UTF-8) by keyword; corrupt chunks are skipped. */
export function readTextChunks(png: Uint8Array): Map<string, string> {
  const buf = assertPng(png);
  const out = new Map<string, string>();
  let pos = 8;
  while (pos + 12 <= buf.length) {
    const length = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const start = pos + 8;
    const end = start + length;
    if (end + 4 > buf.length) break; // truncated file: keep what was read
    const data = buf.subarray(start, end);
    try {
      if (type === 'tEXt') {
        const nul = data.indexOf(0);
        if (nul > 0) out.set(data.toString('latin1', 0, nul), data.toString('latin1', nul + 1));
      } else if (type === 'zTXt') {
        const nul = data.indexOf(0);
        if (nul > 0) out.set(data.toString('latin1', 0, nul), inflateCapped(data.subarray(nul + 2)));
      } else if (type === 'iTXt') {
        const nul = data.indexOf(0);
        const compressed = data[nul + 1] === 1;
        const langEnd = data.indexOf(0, nul + 3);
        const transEnd = data.indexOf(0, langEnd + 1);
        if (nul > 0 && langEnd > 0 && transEnd > 0) {
          const body = data.subarray(transEnd + 1);
          out.set(data.toString('latin1', 0, nul), compressed ? inflateCapped(body) : body.toString('utf8'));
        }
      } else if (type === 'IEND') {
        break;
      }
    } catch {
      // A corrupt or oversized text chunk is ignored, never fatal.
    }
    pos = end + 4;
  }
  return out;
}

/** The PNG without its tEXt/zTXt/iTXt chunks named `keyword` (so a rewrite replaces, never stacks). */
export function withoutTextChunks(png: Uint8Array, keyword: string): Uint8Array {
  const buf = assertPng(png);
  const kept: Buffer[] = [buf.subarray(0, 8)];
  let pos = 8;
  while (pos + 12 <= buf.length) {
    const end = pos + 12 + buf.readUInt32BE(pos);
    if (end > buf.length) break;
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const isText = type === 'tEXt' || type === 'zTXt' || type === 'iTXt';
    const data = buf.subarray(pos + 8, end - 4);
    const nul = data.indexOf(0);
    if (!(isText && nul > 0 && data.toString('latin1', 0, nul) === keyword)) kept.push(buf.subarray(pos, end));
    pos = end;
  }
  kept.push(buf.subarray(pos));
  return Buffer.concat(kept);
}
