/**
 * The host's image codec (sharp, loaded on first use so activation stays cheap). Decoding goes through
 * the one upright decoder the worker uses too (shared/images/imageInput.ts): sizes read from the header
 * before anything is decoded, the EXIF orientation applied, the first frame of an animation. Also PNG
 * encoding and thumbnails.
 */
import type { Sharp, SharpOptions } from 'sharp';
import { PipelineError } from '../../shared/errors';
import { decodeUpright, readUprightHeader, type DecodeOptions, type SharpFactory as DecoderSharp } from '../../shared/images/imageInput';
import { MAX_PIXELS } from '../../shared/request';

/** Largest image the canvas opens (the browser canvas ceiling, 16.7 Mpx). */
export const MAX_CANVAS_PIXELS = MAX_PIXELS;

export class ImageReadError extends Error {}

type SharpFactory = (input?: Uint8Array, options?: SharpOptions) => Sharp;
let factory: SharpFactory | undefined;
async function loadSharp(): Promise<SharpFactory> {
  factory ??= ((await import('sharp')) as unknown as { default: SharpFactory }).default;
  return factory;
}
async function sharp(input: Uint8Array, options: SharpOptions = {}): Promise<Sharp> {
  return (await loadSharp())(input, { limitInputPixels: MAX_CANVAS_PIXELS, ...options });
}
async function decoderSharp(): Promise<DecoderSharp> {
  const load = await loadSharp();
  return (input, options) => load(input, options);
}

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** The decoder's refusals (INVALID_INPUT) become ImageReadError, the host's "cannot use this image". */
async function reading<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof PipelineError && error.code === 'INVALID_INPUT') throw new ImageReadError(error.message);
    throw error;
  }
}

export interface ImageInfo extends ImageSize {
  readonly hasAlpha: boolean;
}

/** Reads the upright size (and whether there is alpha) from the header only; refuses unreadable formats and images above the pixel limit before decoding. */
export async function readImageInfo(bytes: Uint8Array, name: string): Promise<ImageInfo> {
  const { width, height, header } = await reading(async () => readUprightHeader(await decoderSharp(), bytes, { name }, MAX_CANVAS_PIXELS));
  return { width, height, hasAlpha: header.hasAlpha === true };
}

/** The upright size from the header only (see readImageInfo). */
export async function readImageSize(bytes: Uint8Array, name: string): Promise<ImageSize> {
  const { width, height } = await readImageInfo(bytes, name);
  return { width, height };
}

async function decode(bytes: Uint8Array, name: string, options: Pick<DecodeOptions, 'as' | 'notice'>): Promise<ImageSize & { data: Uint8Array }> {
  const image = await reading(async () => decodeUpright(await decoderSharp(), bytes, { name }, { ...options, maxPixels: MAX_CANVAS_PIXELS }));
  return { width: image.width, height: image.height, data: image.data };
}

/** Decodes upright to sRGB RGBA u8 (the first frame of an animation; `notice` says so). */
export function decodeRgba(bytes: Uint8Array, name: string, notice?: (message: string) => void): Promise<ImageSize & { data: Uint8Array }> {
  return decode(bytes, name, { as: 'rgba', notice });
}

/** Decodes to one grey channel; transparency counts as black. */
function decodeGray(bytes: Uint8Array, name: string): Promise<ImageSize & { data: Uint8Array }> {
  return decode(bytes, name, { as: 'grey' });
}

/** Nearest-neighbour resize of a single-channel image (masks stay binary). */
async function resizeGray(data: Uint8Array, from: ImageSize, to: ImageSize): Promise<Uint8Array> {
  const out = await (await sharp(data, { raw: { width: from.width, height: from.height, channels: 1 } })).resize(to.width, to.height, { fit: 'fill', kernel: 'nearest' }).raw().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Decodes to one grey channel at `size` (a layer of the canvas), resizing nearest-neighbour when the
 * file has another size; `original` says which size the file had, for the notice.
 */
export async function decodeGrayAt(bytes: Uint8Array, name: string, size: ImageSize): Promise<{ data: Uint8Array; original: ImageSize }> {
  const gray = await decodeGray(bytes, name);
  const original = { width: gray.width, height: gray.height };
  const same = gray.width === size.width && gray.height === size.height;
  return { data: same ? gray.data : await resizeGray(gray.data, original, size), original };
}

/** Resizes raw u8 pixels (Lanczos; `channels` per pixel) from one size to another. */
export async function resizeRaw(data: Uint8Array, from: ImageSize, channels: 1 | 3 | 4, to: ImageSize): Promise<Uint8Array> {
  const out = await (await sharp(data, { raw: { width: from.width, height: from.height, channels } })).resize(to.width, to.height, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Encodes raw u8 pixels (1 = grey, 3 = RGB, 4 = RGBA) as PNG. */
export async function encodePng(data: Uint8Array, size: ImageSize, channels: 1 | 3 | 4): Promise<Uint8Array> {
  const image = await sharp(data, { raw: { width: size.width, height: size.height, channels } });
  // One channel stays one channel (PNG colour type 0), as masks and control images are exchanged.
  const out = await (channels === 1 ? image.toColourspace('b-w') : image).png({ compressionLevel: 6 }).toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** A small PNG that fits in `box`×`box`, for the history list. */
export async function thumbnail(bytes: Uint8Array, name: string, box: number): Promise<Uint8Array> {
  const image = await decodeRgba(bytes, name);
  const out = await (await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } })).resize(box, box, { fit: 'inside', withoutEnlargement: true }).png().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Re-encodes a PNG as JPEG or WebP (quality 92; no metadata, so no orientation tag: pixels are upright). */
export async function encodeAs(png: Uint8Array, format: 'jpeg' | 'webp'): Promise<Uint8Array> {
  const image = await sharp(png);
  if (format === 'jpeg' && (await image.metadata()).hasAlpha) throw new ImageReadError('JPEG has no transparency; save this image as .png or .webp');
  const out = await (format === 'jpeg' ? image.jpeg({ quality: 92 }) : image.webp({ quality: 92 })).toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** How a derived file is encoded (recipes' outputs): the format, its quality, and the box it is resized into. */
export interface DerivedEncoding {
  readonly format: 'png' | 'webp' | 'avif' | 'jpeg';
  readonly quality?: number;
  /** Exact size; `contain` pads a different aspect ratio with transparency instead of cropping. */
  readonly resize?: { readonly width: number; readonly height: number; readonly fit: 'fill' | 'contain' };
  /** Fill transparency with white (JPEG, apple-touch-icon). */
  readonly opaque?: boolean;
}

/**
 * The image with `mask` (width × height, 0–255) as its alpha: a cut-out on a transparent background,
 * encoded losslessly (PNG, or lossless WebP) so the kept pixels are the image's own.
 */
export async function encodeCutout(image: ImageSize & { readonly data: Uint8Array }, mask: Uint8Array, format: 'png' | 'webp'): Promise<Uint8Array> {
  const rgba = new Uint8Array(image.data);
  for (let i = 0; i < mask.length; i++) rgba[i * 4 + 3] = Math.min(rgba[i * 4 + 3], mask[i]);
  const raw = await sharp(rgba, { raw: { width: image.width, height: image.height, channels: 4 } });
  const out = await (format === 'png' ? raw.png() : raw.webp({ lossless: true })).toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Resizes (lanczos3) and encodes an image for a derived file, without metadata. */
export async function encodeDerived(bytes: Uint8Array, how: DerivedEncoding): Promise<Uint8Array> {
  let image = await sharp(bytes);
  const opaque = how.opaque === true || how.format === 'jpeg';
  // sharp flattens before it resizes: padding added by `contain` must itself be opaque white then.
  if (how.resize) image = image.resize(how.resize.width, how.resize.height, { fit: how.resize.fit, kernel: 'lanczos3', background: opaque ? { r: 255, g: 255, b: 255, alpha: 1 } : { r: 0, g: 0, b: 0, alpha: 0 } });
  if (opaque) image = image.flatten({ background: '#ffffff' });
  const q = how.quality;
  const out = await (how.format === 'png' ? image.png() : how.format === 'webp' ? image.webp({ quality: q ?? 80 }) : how.format === 'avif' ? image.avif({ quality: q ?? 50 }) : image.jpeg({ quality: q ?? 85, mozjpeg: true })).toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
