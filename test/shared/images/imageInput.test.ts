/**
 * The one image decoder, on what users bring: phone JPEGs with an EXIF orientation, WebP, GIF, TIFF,
 * AVIF, SVG, CMYK and 16-bit masks; the worker's decoders and the host's codec give the same pixels.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeRgba, readImageSize } from '../../../src/host/images/imageCodec';
import { decodeControlImage, decodeForUpscale, decodeImage, decodeMask } from '../../../src/pipeline/ops/decodeImage';
import { checkHeader, uprightSize } from '../../../src/shared/images/imageInput';
import { near, pixelAt, QUADRANTS, rotatedJpeg } from '../../helpers/photos';

const source = { name: 'photo.jpg' };

describe('EXIF orientation is applied once, by the one decoder, everywhere', () => {
  it.each([1, 3, 6, 8] as const)('orientation %i: init image, control image, upscale and canvas all see the photo upright', async (orientation) => {
    const jpeg = await rotatedJpeg(53, 81, orientation);
    const init = await decodeImage(jpeg, 'initImage');
    expect([init.width, init.height]).toEqual([53, 81]);
    expect(near(pixelAt(init.rgb, 53, 2, 2), QUADRANTS.topLeft)).toBe(true);
    expect(near(pixelAt(init.rgb, 53, 50, 2), QUADRANTS.topRight)).toBe(true);
    expect(near(pixelAt(init.rgb, 53, 2, 78), QUADRANTS.bottomLeft)).toBe(true);
    const canvas = await decodeRgba(jpeg, 'photo.jpg');
    const upscale = await decodeForUpscale(jpeg, 'image');
    const control = await decodeControlImage(jpeg, 'control 1 (depth) image', 53, 81, () => undefined);
    // The same decoder: identical pixels on both sides of the process boundary.
    expect([canvas.width, canvas.height, upscale.width, upscale.height]).toEqual([53, 81, 53, 81]);
    expect(Buffer.from(upscale.rgb).equals(Buffer.from(init.rgb))).toBe(true);
    expect(Buffer.from(control.rgb).equals(Buffer.from(init.rgb))).toBe(true);
    for (let i = 0; i < 53 * 81; i++) for (let c = 0; c < 3; c++) if (canvas.data[i * 4 + c] !== init.rgb[i * 3 + c]) throw new Error(`canvas and worker differ at pixel ${i}`);
    expect(await readImageSize(jpeg, 'photo.jpg')).toEqual({ width: 53, height: 81 });
  });

  it('a mask is read upright too, so it lines up with the photo it was painted on', async () => {
    const jpeg = await rotatedJpeg(40, 64, 6);
    const mask = await decodeMask(jpeg, 'mask');
    expect([mask.width, mask.height]).toEqual([40, 64]);
    // Bottom-right is white (repaint), top-left red (dark in grey).
    expect(mask.data[63 * 40 + 39]).toBeGreaterThan(200);
    expect(mask.data[0]).toBeLessThan(128);
  });

  it('the header check gives the upright size without decoding (pure)', () => {
    expect(uprightSize({ width: 803, height: 653, orientation: 6 })).toEqual({ width: 653, height: 803 });
    expect(uprightSize({ width: 803, height: 653, orientation: 3 })).toEqual({ width: 803, height: 653 });
    expect(checkHeader({ format: 'jpeg', width: 803, height: 653, orientation: 8 }, source, 1e6)).toMatchObject({ width: 653, height: 803 });
  });
});

describe('formats: PNG, JPEG, WebP; the first frame of GIF, TIFF, AVIF; the rest refused by name', () => {
  const flat = (format: 'png' | 'jpeg' | 'webp' | 'tiff' | 'avif' | 'gif'): Promise<Buffer> => sharp({ create: { width: 37, height: 21, channels: 3, background: { r: 200, g: 100, b: 50 } } }).toFormat(format, format === 'jpeg' || format === 'webp' || format === 'avif' ? { quality: 100 } : {}).toBuffer();

  it.each(['png', 'jpeg', 'webp', 'tiff', 'avif', 'gif'] as const)('%s decodes to its colour and size', async (format) => {
    const image = await decodeImage(new Uint8Array(await flat(format)), 'initImage');
    expect([image.width, image.height]).toEqual([37, 21]);
    expect(near(pixelAt(image.rgb, 37, 18, 10), [200, 100, 50], format === 'gif' ? 16 : 6)).toBe(true);
  });

  it('an animated GIF gives its first frame, with a notice, in the worker and on the host alike', async () => {
    const frames = Buffer.alloc(8 * 24 * 4);
    for (let i = 0; i < 8 * 24; i++) frames.set(i < 64 ? [255, 0, 0, 255] : i < 128 ? [0, 255, 0, 255] : [0, 0, 255, 255], i * 4);
    const gif = new Uint8Array(await sharp(frames, { raw: { width: 8, height: 24, channels: 4, pageHeight: 8 } }).gif().toBuffer());
    const notices: string[] = [];
    const init = await decodeImage(gif, 'initImage', (n) => notices.push(n));
    expect([init.width, init.height]).toEqual([8, 8]);
    expect(near(pixelAt(init.rgb, 8, 4, 4), [255, 0, 0])).toBe(true);
    expect(notices).toEqual(['the init image has 3 frames; the first was used']);
    const host: string[] = [];
    const canvas = await decodeRgba(gif, 'anim.gif', (n) => host.push(n));
    expect([canvas.width, canvas.height]).toEqual([8, 8]);
    expect(host).toEqual(['anim.gif has 3 frames; the first was used']);
    const upscale: string[] = [];
    await decodeForUpscale(gif, 'image', (n) => upscale.push(n));
    expect(upscale).toHaveLength(1);
  });

  it('SVG, HEIC and unknown bytes are refused, naming the file and what Atelier reads', async () => {
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>');
    await expect(decodeImage(svg, 'initImage')).rejects.toMatchObject({ code: 'INVALID_INPUT', argument: 'initImage', message: 'the init image is in SVG format; Atelier reads PNG, JPEG and WebP images, and the first frame of GIF, TIFF and AVIF (convert it to PNG first)' });
    await expect(readImageSize(svg, 'logo.svg')).rejects.toThrow('logo.svg is in SVG format; Atelier reads PNG, JPEG and WebP images');
    expect(() => checkHeader({ format: 'heif', compression: 'hevc', width: 4032, height: 3024 }, { name: 'IMG_0001.HEIC' }, 20e6)).toThrow('IMG_0001.HEIC is a HEIC (HEVC) image, which cannot be decoded here; export it as JPEG or PNG');
    await expect(decodeMask(new TextEncoder().encode('not an image'), 'mask')).rejects.toMatchObject({ argument: 'mask', message: expect.stringContaining('the mask is not a readable image') });
  });

  it('the pixel limit is checked on the header, before decoding', async () => {
    const huge = new Uint8Array(await sharp({ create: { width: 4097, height: 4096, channels: 3, background: '#000' } }).png({ compressionLevel: 1 }).toBuffer());
    await expect(decodeImage(huge, 'initImage')).rejects.toMatchObject({ message: expect.stringContaining('is 4097×4096 (16.8 Mpx), above the 16.8 Mpx limit') });
  });
});

describe('masks in any colour form', () => {
  const square = (): Buffer => {
    const m = Buffer.alloc(64 * 48);
    for (let y = 10; y < 30; y++) m.fill(255, y * 64 + 20, y * 64 + 50);
    return m;
  };
  const painted = (data: Uint8Array): number => data.reduce((n, v) => n + (v >= 128 ? 1 : 0), 0);

  it.each([
    ['CMYK JPEG', () => sharp(square(), { raw: { width: 64, height: 48, channels: 1 } }).toColourspace('cmyk').jpeg().toBuffer()],
    ['CMYK JPEG with an ICC profile', () => sharp(square(), { raw: { width: 64, height: 48, channels: 1 } }).toColourspace('cmyk').withIccProfile('cmyk').jpeg().toBuffer()],
    ['16-bit grey PNG', () => sharp(square(), { raw: { width: 64, height: 48, channels: 1 } }).toColourspace('grey16').png().toBuffer()],
    ['grey + alpha PNG (transparent = keep)', () => sharp(Buffer.from([...square()].flatMap((v) => [255, v])), { raw: { width: 64, height: 48, channels: 2 } }).png().toBuffer()],
    ['RGB WebP', () => sharp(Buffer.from([...square()].flatMap((v) => [v, v, v])), { raw: { width: 64, height: 48, channels: 3 } }).webp({ lossless: true }).toBuffer()],
  ])('a %s mask reads as its painted square', async (_label, make) => {
    const mask = await decodeMask(new Uint8Array(await make()), 'mask');
    expect([mask.width, mask.height]).toEqual([64, 48]);
    expect(painted(mask.data)).toBe(20 * 30);
    expect(mask.data[20 * 64 + 35]).toBeGreaterThan(200);
    expect(mask.data[5 * 64 + 5]).toBeLessThan(50);
  });
});
