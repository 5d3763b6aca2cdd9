/**
 * Parameters in PNG, JPEG and WebP where A1111 writes and reads them: PNG iTXt, and the EXIF
 * UserComment ("UNICODE\0" + UTF-16, big-endian TIFF, as piexif.dump writes) in JPEG APP1 and the
 * WebP EXIF chunk. sharp (libvips) must still decode every file we write.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { exifWithUserComment, readUserComment } from '../../../src/host/output/exifUserComment';
import { formatOfBytes, formatOfExtension, readParameters, withParameters } from '../../../src/host/output/imageMetadata';

const TEXT = 'a café at night, «neon», 猫\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 42, Size: 24x16, Model: sd15';

async function encoded(format: 'png' | 'jpeg' | 'webp', options: { alpha?: boolean; lossless?: boolean } = {}): Promise<Uint8Array> {
  const image = sharp({ create: { width: 24, height: 16, channels: options.alpha ? 4 : 3, background: { r: 10, g: 200, b: 30, alpha: 0.5 } } });
  return new Uint8Array(await (format === 'webp' ? image.webp({ lossless: options.lossless }) : image.toFormat(format)).toBuffer());
}

describe('the EXIF UserComment', () => {
  it('is laid out as piexif writes it: big-endian TIFF, Exif IFD pointer, UNDEFINED "UNICODE\\0" + UTF-16BE', () => {
    const tiff = exifWithUserComment('Hi');
    expect(tiff.subarray(0, 8).toString('hex')).toBe('4d4d002a00000008');
    // IFD0: one entry, ExifIFDPointer (0x8769, LONG, 1) → 26; no next IFD.
    expect(tiff.subarray(8, 26).toString('hex')).toBe('0001' + '8769' + '0004' + '00000001' + '0000001a' + '00000000');
    // Exif IFD: UserComment (0x9286, UNDEFINED, 12 bytes at 44).
    expect(tiff.subarray(26, 44).toString('hex')).toBe('0001' + '9286' + '0007' + '0000000c' + '0000002c' + '00000000');
    expect(tiff.subarray(44).toString('hex')).toBe(Buffer.from('UNICODE\0', 'latin1').toString('hex') + '00480069');
    expect(readUserComment(tiff)).toBe('Hi');
  });

  it('reads little-endian files and ASCII comments written by other tools, and nothing from junk', () => {
    const le = Buffer.from('49492a0008000000' + '0100' + '6987' + '0400' + '01000000' + '1a000000' + '00000000' + '0100' + '8692' + '0700' + '0c000000' + '2c000000' + '00000000', 'hex');
    const body = Buffer.concat([le, Buffer.from('UNICODE\0', 'latin1'), Buffer.from('Hi', 'utf16le')]);
    expect(readUserComment(body)).toBe('Hi');
    const ascii = Buffer.concat([exifWithUserComment('xx').subarray(0, 44), Buffer.from('ASCII\0\0\0Hi\0', 'latin1')]);
    ascii.writeUInt32BE(11, 32);
    expect(readUserComment(ascii)).toBe('Hi');
    expect(readUserComment(Buffer.from('not exif at all'))).toBeUndefined();
    expect(readUserComment(exifWithUserComment('x').subarray(0, 30))).toBeUndefined();
  });
});

describe('parameters in every format Atelier writes', () => {
  it.each([
    ['png', {}],
    ['jpeg', {}],
    ['webp', {}],
    ['webp', { lossless: true }],
    ['webp', { alpha: true }],
    ['webp', { alpha: true, lossless: true }],
  ] as const satisfies readonly (readonly ['png' | 'jpeg' | 'webp', { alpha?: boolean; lossless?: boolean }])[])('%s %o: written, read back exactly, and the image still decodes at its size', async (format, options) => {
    const plain = await encoded(format, options);
    expect(readParameters(plain)).toBeUndefined();
    const tagged = withParameters(plain, TEXT, { width: 24, height: 16 });
    expect(formatOfBytes(tagged)).toBe(format);
    expect(readParameters(tagged)).toBe(TEXT);
    const meta = await sharp(tagged).metadata();
    expect([meta.format, meta.width, meta.height, meta.hasAlpha === true]).toEqual([format, 24, 16, 'alpha' in options]);
    if (format !== 'png') expect(meta.exif?.subarray(0, 6).toString('latin1')).toBe(format === 'jpeg' ? 'Exif\0\0' : 'MM\0*\0\0');
    // Writing twice replaces, never stacks.
    const again = withParameters(tagged, 'second', { width: 24, height: 16 });
    expect(readParameters(again)).toBe('second');
    await sharp(again).raw().toBuffer();
  });

  it('the format follows the extension', () => {
    expect(['.png', '.PNG', '.jpg', '.JPEG', '.webp', '.gif', '.tif', ''].map(formatOfExtension)).toEqual(['png', 'png', 'jpeg', 'jpeg', 'webp', undefined, undefined, undefined]);
  });
});
