/**
 * The host's image codec (sharp, loaded on first use so activation stays cheap): sizes read from the
 * header before anything is decoded, RGBA and single-channel decoding, PNG encoding, thumbnails.
 */
import type { Sharp, SharpOptions } from 'sharp';
import { MAX_PIXELS } from '../../shared/request';

/** Largest image the canvas opens (the browser canvas ceiling, 16.7 Mpx). */
export const MAX_CANVAS_PIXELS = MAX_PIXELS;

export class ImageReadError extends Error {}

type SharpFactory = (input?: Uint8Array, options?: SharpOptions) => Sharp;
let factory: SharpFactory | undefined;
async function sharp(input: Uint8Array, options: SharpOptions = {}): Promise<Sharp> {
  factory ??= ((await import('sharp')) as unknown as { default: SharpFactory }).default;
  return factory(input, { limitInputPixels: MAX_CANVAS_PIXELS, ...options });
}

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** Reads the size from the header only; refuses images above the pixel limit before decoding. */
export async function readImageSize(bytes: Uint8Array, name: string): Promise<ImageSize> {
  let meta: { width?: number; height?: number; pages?: number };
  try {
    // The header check itself must not be limited, or a huge image reads as "unreadable".
    meta = await (await sharp(bytes, { limitInputPixels: false })).metadata();
  } catch (error) {
    throw new ImageReadError(`${name} is not a readable PNG, JPEG or WebP image (${(error as Error).message})`);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width < 1 || height < 1) throw new ImageReadError(`${name} has no image size in its header`);
  if (width * height > MAX_CANVAS_PIXELS) {
    throw new ImageReadError(`${name} is ${width}×${height} (${(width * height / 1e6).toFixed(1)} Mpx), above the ${(MAX_CANVAS_PIXELS / 1e6).toFixed(1)} Mpx limit of the canvas; resize it first`);
  }
  return { width, height };
}

async function decode(bytes: Uint8Array, name: string, pipeline: (image: Sharp) => Sharp, channels: 1 | 4): Promise<ImageSize & { data: Uint8Array }> {
  await readImageSize(bytes, name);
  try {
    const { data, info } = await pipeline(await sharp(bytes)).raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) throw new Error(`decoded ${info.channels} channels, expected ${channels}`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    throw new ImageReadError(`${name} could not be decoded (${(error as Error).message}); the file may be truncated or corrupt`);
  }
}

/** Decodes to sRGB RGBA u8 (first frame of an animation). */
export function decodeRgba(bytes: Uint8Array, name: string): Promise<ImageSize & { data: Uint8Array }> {
  return decode(bytes, name, (image) => image.rotate().toColorspace('srgb').ensureAlpha(), 4);
}

/** Decodes to one grey channel; transparency counts as black. */
function decodeGray(bytes: Uint8Array, name: string): Promise<ImageSize & { data: Uint8Array }> {
  return decode(bytes, name, (image) => image.flatten({ background: '#000000' }).toColorspace('b-w').extractChannel(0), 1);
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

/** Encodes raw u8 pixels (1 = grey, 3 = RGB, 4 = RGBA) as PNG. */
export async function encodePng(data: Uint8Array, size: ImageSize, channels: 1 | 3 | 4): Promise<Uint8Array> {
  const image = await sharp(data, { raw: { width: size.width, height: size.height, channels } });
  // One channel stays one channel (PNG colour type 0), as masks and control images are exchanged.
  const out = await (channels === 1 ? image.toColourspace('b-w') : image).png({ compressionLevel: 6 }).toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** A small PNG that fits in `box`×`box`, for the history list. */
export async function thumbnail(bytes: Uint8Array, name: string, box: number): Promise<Uint8Array> {
  await readImageSize(bytes, name);
  const out = await (await sharp(bytes)).resize(box, box, { fit: 'inside', withoutEnlargement: true }).png().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
