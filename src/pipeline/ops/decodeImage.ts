/** Decodes an input image (PNG/JPEG/WebP) to RGB, checking its size from the header before decoding. */
import sharp, { type Metadata } from 'sharp';
import { PipelineError } from '../../shared/errors';
import { MAX_PIXELS } from '../../shared/request';

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** Interleaved RGB u8. */
  readonly rgb: Uint8Array;
}

/** The image header; an unreadable file is refused naming the argument. */
async function readHeader(bytes: Uint8Array, argument: string, limitInputPixels: number | false = MAX_PIXELS): Promise<Metadata> {
  try {
    return await sharp(bytes, { limitInputPixels }).metadata();
  } catch (error) {
    throw new PipelineError('INVALID_INPUT', `${argument} is not a readable PNG, JPEG or WebP image (${(error as Error).message})`, { argument });
  }
}

/** 16-bit and CMYK images would be misread as 8-bit RGB; `fix` finishes each message for its use. */
function refuseNon8BitRgb(meta: Metadata, argument: string, fix: { readonly depth: string; readonly cmyk: string }): void {
  if (meta.depth !== undefined && meta.depth !== 'uchar' && meta.depth !== 'char') {
    throw new PipelineError('INVALID_INPUT', `${argument} is a ${meta.depth === 'ushort' ? '16-bit' : meta.depth} image; ${fix.depth}`, { argument });
  }
  if (meta.space === 'cmyk') throw new PipelineError('INVALID_INPUT', `${argument} is a CMYK image; ${fix.cmyk}`, { argument });
}

function decodeFailure(argument: string, error: unknown): PipelineError {
  return new PipelineError('INVALID_INPUT', `${argument} could not be decoded (${(error as Error).message}); the file may be truncated`, { argument });
}

export async function decodeImage(bytes: Uint8Array, argument: string): Promise<RgbImage> {
  const { width = 0, height = 0 } = await readHeader(bytes, argument);
  if (width * height > MAX_PIXELS) throw new PipelineError('INVALID_INPUT', `${argument} is ${width}×${height}, more than the ${MAX_PIXELS}-pixel limit; resize it first`, { argument });
  if (width % 8 !== 0 || height % 8 !== 0 || width < 64 || height < 64) {
    throw new PipelineError('INVALID_INPUT', `${argument} is ${width}×${height}; its sides must be multiples of 8 and at least 64 (crop or resize it, e.g. to ${Math.max(64, width - (width % 8))}×${Math.max(64, height - (height % 8))})`, { argument });
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_PIXELS }).toColorspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels`);
    return { width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    throw decodeFailure(argument, error);
  }
}

/** Interleaved RGB u8 → CHW float, value / divisor + offset. */
export function rgbToChw(image: RgbImage, divisor: number, offset = 0): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = image.rgb[3 * i + c] / divisor + offset;
  return out;
}

/** [−1, 1]: the VAE encoder's input. */
export function rgbToNormalizedChw(image: RgbImage): Float32Array {
  return rgbToChw(image, 127.5, -1);
}

/** [0, 1]: ControlNet images (not normalised) and decoded images for compositing. */
export function rgbToUnitChw(image: RgbImage): Float32Array {
  return rgbToChw(image, 255);
}

/** Decodes a mask image to one channel (any size; transparency counts as black = keep). */
export async function decodeMask(bytes: Uint8Array, argument: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  try {
    const meta = await sharp(bytes, { limitInputPixels: MAX_PIXELS }).metadata();
    if ((meta.width ?? 0) * (meta.height ?? 0) > MAX_PIXELS) throw new Error(`${meta.width}×${meta.height} is more than the ${MAX_PIXELS}-pixel limit`);
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_PIXELS }).flatten({ background: '#000000' }).greyscale().raw().toBuffer({ resolveWithObject: true });
    const plane = info.width * info.height;
    const single = info.channels === 1 ? new Uint8Array(data.buffer, data.byteOffset, plane) : Uint8Array.from({ length: plane }, (_, i) => data[i * info.channels]);
    return { width: info.width, height: info.height, data: single };
  } catch (error) {
    throw new PipelineError('INVALID_INPUT', `${argument} is not a readable mask image (${(error as Error).message})`, { argument });
  }
}

/**
 * Decodes a ControlNet image to 8-bit RGB at `width`×`height`. 16-bit and CMYK images are refused
 * (their values would be misread); grey images are expanded to RGB and other sizes resized, both
 * with a notice.
 */
export async function decodeControlImage(bytes: Uint8Array, argument: string, width: number, height: number, warn: (message: string) => void): Promise<RgbImage> {
  const meta = await readHeader(bytes, argument);
  refuseNon8BitRgb(meta, argument, { depth: 'ControlNet images must be 8-bit RGB (re-save it as an 8-bit PNG)', cmyk: 'ControlNet images must be RGB (convert it to sRGB first)' });
  if ((meta.channels ?? 3) < 3) warn(`${argument} is a greyscale image; it was expanded to RGB`);
  if (meta.width !== width || meta.height !== height) warn(`${argument} is ${meta.width}×${meta.height} but the output is ${width}×${height}; it was resized to fit`);
  try {
    const { data } = await sharp(bytes, { limitInputPixels: MAX_PIXELS })
      .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
      .toColorspace('srgb')
      .flatten({ background: '#000000' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width, height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    throw decodeFailure(argument, error);
  }
}

/** Crops a rectangle out of an RGB image (pure). */
export function cropRgb(image: RgbImage, x: number, y: number, width: number, height: number): RgbImage {
  const rgb = new Uint8Array(width * height * 3);
  for (let row = 0; row < height; row++) rgb.set(image.rgb.subarray(((y + row) * image.width + x) * 3, ((y + row) * image.width + x + width) * 3), row * width * 3);
  return { width, height, rgb };
}

/** Resizes an RGB image (Lanczos); same size returns it as is. */
export async function resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const { data } = await sharp(Buffer.from(image.rgb.buffer, image.rgb.byteOffset, image.rgb.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width, height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export interface RgbaImage extends RgbImage {
  /** The alpha channel when the image has one. */
  readonly alpha: Uint8Array | undefined;
}

/** Interleaved RGBA → interleaved RGB, and the alpha plane when asked for (transparent pixels keep their colour). */
export function splitRgba(rgba: Uint8Array, keepAlpha: boolean): { rgb: Uint8Array; alpha: Uint8Array | undefined } {
  const plane = rgba.length / 4;
  const rgb = new Uint8Array(plane * 3);
  const alpha = keepAlpha ? new Uint8Array(plane) : undefined;
  for (let i = 0; i < plane; i++) {
    rgb[i * 3] = rgba[i * 4];
    rgb[i * 3 + 1] = rgba[i * 4 + 1];
    rgb[i * 3 + 2] = rgba[i * 4 + 2];
    if (alpha) alpha[i] = rgba[i * 4 + 3];
  }
  return { rgb, alpha };
}

/**
 * Decodes an image to upscale, of any size up to the pixel limit, as 8-bit RGB(A). Animated, 16-bit and
 * CMYK images are refused with the reason (the upscaler works on one 8-bit sRGB frame).
 */
export async function decodeForUpscale(bytes: Uint8Array, argument: string): Promise<RgbaImage> {
  // The header check itself is unlimited, so an oversized image gets the size message below, not "unreadable".
  const meta = await readHeader(bytes, argument, false);
  const { width = 0, height = 0 } = meta;
  if ((meta.pages ?? 1) > 1) throw new PipelineError('INVALID_INPUT', `${argument} is animated (${meta.pages} frames); upscale one frame at a time (export it as a PNG first)`, { argument });
  refuseNon8BitRgb(meta, argument, { depth: 'the upscaler works in 8 bits per channel and would lose its precision (convert it to 8-bit first)', cmyk: 'convert it to sRGB first (the upscaler was trained on RGB)' });
  if (width * height > MAX_PIXELS) throw new PipelineError('INVALID_INPUT', `${argument} is ${width}×${height}, more than the ${MAX_PIXELS}-pixel limit; upscale a crop of it`, { argument });
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_PIXELS }).toColorspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const { rgb, alpha } = splitRgba(data, meta.hasAlpha === true);
    return { width: info.width, height: info.height, rgb, alpha };
  } catch (error) {
    throw decodeFailure(argument, error);
  }
}
