/**
 * The generation parameters of a JPEG or WebP, where AUTOMATIC1111 keeps them: the EXIF UserComment
 * (tag 0x9286 in the Exif IFD), as `piexif.helper.UserComment.dump(text, encoding="unicode")` writes
 * it: the 8-byte prefix "UNICODE\0", then UTF-16 in the TIFF's byte order (big-endian, "MM", as
 * piexif writes). A1111's PNG Info, civitai and exiftool read it there. No native dependency.
 */

const EXIF_IFD_POINTER = 0x8769;
const USER_COMMENT = 0x9286;
const TYPE_LONG = 4;
const TYPE_UNDEFINED = 7;
const UNICODE_PREFIX = Buffer.from('UNICODE\0', 'latin1');
const ASCII_PREFIX = Buffer.from('ASCII\0\0\0', 'latin1');


/** A big-endian TIFF block holding only the UserComment (what follows "Exif\0\0" in a JPEG's APP1). */
export function exifWithUserComment(text: string): Buffer {
  const comment = Buffer.concat([UNICODE_PREFIX, Buffer.from(text, 'utf16le').swap16()]);
  const ifd0 = 8;
  const exifIfd = ifd0 + 2 + 12 + 4;
  const data = exifIfd + 2 + 12 + 4;
  const out = Buffer.alloc(data + comment.length);
  out.write('MM', 0, 'latin1');
  out.writeUInt16BE(42, 2);
  out.writeUInt32BE(ifd0, 4);
  out.writeUInt16BE(1, ifd0);
  out.writeUInt16BE(EXIF_IFD_POINTER, ifd0 + 2);
  out.writeUInt16BE(TYPE_LONG, ifd0 + 4);
  out.writeUInt32BE(1, ifd0 + 6);
  out.writeUInt32BE(exifIfd, ifd0 + 10);
  out.writeUInt32BE(0, ifd0 + 14);
  out.writeUInt16BE(1, exifIfd);
  out.writeUInt16BE(USER_COMMENT, exifIfd + 2);
  out.writeUInt16BE(TYPE_UNDEFINED, exifIfd + 4);
  out.writeUInt32BE(comment.length, exifIfd + 6);
  out.writeUInt32BE(data, exifIfd + 10);
  out.writeUInt32BE(0, exifIfd + 14);
  comment.copy(out, data);
  return out;
}

/** The IFD entry `tag` at the IFD starting at `offset`: its type, count and value offset; undefined when absent. */
function findEntry(tiff: Buffer, offset: number, tag: number, big: boolean): { type: number; count: number; value: number } | undefined {
  const u16 = (at: number): number => (big ? tiff.readUInt16BE(at) : tiff.readUInt16LE(at));
  const u32 = (at: number): number => (big ? tiff.readUInt32BE(at) : tiff.readUInt32LE(at));
  if (offset + 2 > tiff.length) return undefined;
  const count = u16(offset);
  for (let i = 0; i < count; i++) {
    const at = offset + 2 + i * 12;
    if (at + 12 > tiff.length) return undefined;
    if (u16(at) === tag) return { type: u16(at + 2), count: u32(at + 4), value: u32(at + 4 + 4) };
  }
  return undefined;
}

/** The UserComment text of a TIFF block (with or without the "Exif\0\0" header); undefined when absent or unreadable. */
export function readUserComment(block: Uint8Array): string | undefined {
  let tiff = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  if (tiff.subarray(0, 6).toString('latin1') === 'Exif\0\0') tiff = tiff.subarray(6);
  if (tiff.length < 8) return undefined;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'MM' && order !== 'II') return undefined;
  const big = order === 'MM';
  try {
    const ifd0 = big ? tiff.readUInt32BE(4) : tiff.readUInt32LE(4);
    const pointer = findEntry(tiff, ifd0, EXIF_IFD_POINTER, big);
    if (!pointer) return undefined;
    const entry = findEntry(tiff, pointer.value, USER_COMMENT, big);
    if (!entry || entry.type !== TYPE_UNDEFINED || entry.count < 8) return undefined;
    const start = entry.count <= 4 ? undefined : entry.value;
    if (start === undefined || start + entry.count > tiff.length) return undefined;
    const raw = tiff.subarray(start, start + entry.count);
    const body = raw.subarray(8);
    let text: string;
    if (raw.subarray(0, 8).equals(UNICODE_PREFIX)) {
      const even = Buffer.from(body.subarray(0, body.length - (body.length % 2)));
      text = (big ? even.swap16() : even).toString('utf16le');
    } else {
      text = body.toString(raw.subarray(0, 8).equals(ASCII_PREFIX) ? 'latin1' : 'utf8');
    }
    return text.replace(/\0+$/, '');
  } catch {
    return undefined;
  }
}
