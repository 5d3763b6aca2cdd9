/**
 * The worker's image inputs, all through the one upright decoder (shared/images/imageInput.ts): init
 * images and masks of any size, control images brought to the output size, images to upscale.
 */
import sharp from 'sharp';
import { decodeUpright, type SharpFactory } from '../../shared/images/imageInput';
import { PipelineError } from '../../shared/errors';
import { isRawImage, MAX_PIXELS, rawImageProblem, type ImageInput, type RawImage } from '../../shared/request';

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** Interleaved RGB u8. */
  readonly rgb: Uint8Array;
}

const factory: SharpFactory = (input, options) => sharp(input, options);

/** How messages name each request field's image (the field stays the error's argument). */
const NAMES: Readonly<Record<string, string>> = { initImage: 'the init image', mask: 'the mask', image: 'the image' };
const source = (argument: string): { name: string; argument: string } => ({ name: NAMES[argument] ?? argument, argument });

/** An init image, upright, any size up to the pixel limit (the pipelines bring it to a working size). */
export async function decodeImage(bytes: Uint8Array, argument: string, notice?: (message: string) => void): Promise<RgbImage> {
  const image = await decodeUpright(factory, bytes, source(argument), { as: 'rgb', maxPixels: MAX_PIXELS, notice });
  return { width: image.width, height: image.height, rgb: image.data };
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

/** Raw pixels from the host, checked again here (the worker trusts no request). */
function checkedRaw(image: RawImage, argument: string, what: string, channels: readonly RawImage['channels'][]): RawImage {
  const problem = rawImageProblem(image, channels);
  if (problem) throw new PipelineError('INVALID_INPUT', `${what}'s pixels cannot be used: ${problem}`, { argument });
  return image;
}

/** A mask, upright, one channel (any size; transparency counts as black = keep; CMYK and 16-bit converted). Raw masks are one grey channel already. */
export async function decodeMask(input: ImageInput, argument: string, notice?: (message: string) => void): Promise<{ width: number; height: number; data: Uint8Array }> {
  if (isRawImage(input)) {
    const raw = checkedRaw(input, argument, source(argument).name, [1]);
    return { width: raw.width, height: raw.height, data: raw.data };
  }
  const mask = await decodeUpright(factory, input, source(argument), { as: 'grey', maxPixels: MAX_PIXELS, notice });
  return { width: mask.width, height: mask.height, data: mask.data };
}

/**
 * Decodes a ControlNet image to 8-bit RGB at `width`×`height`. 16-bit and CMYK images are refused
 * (their values would be misread); grey images are expanded to RGB and other sizes resized, both
 * with a notice.
 */
export async function decodeControlImage(input: ImageInput, argument: string, width: number, height: number, warn: (message: string) => void): Promise<RgbImage> {
  if (isRawImage(input)) {
    const raw = checkedRaw(input, 'controlImage', argument, [1, 3]);
    const rgb = raw.channels === 3 ? raw.data : Uint8Array.from({ length: raw.width * raw.height * 3 }, (_, i) => raw.data[Math.floor(i / 3)]);
    if (raw.channels === 1) warn(`${argument} is a greyscale image; it was expanded to RGB`);
    if (raw.width !== width || raw.height !== height) warn(`${argument} is ${raw.width}×${raw.height} but the output is ${width}×${height}; it was resized to fit`);
    return resizeRgb({ width: raw.width, height: raw.height, rgb }, width, height);
  }
  const image = await decodeUpright(factory, input, { name: argument, argument: 'controlImage' }, {
    as: 'rgb',
    onBlack: true,
    maxPixels: MAX_PIXELS,
    refuse: { depth: 'ControlNet images must be 8-bit RGB (re-save it as an 8-bit PNG)', cmyk: 'ControlNet images must be RGB (convert it to sRGB first)' },
    notice: warn,
  });
  if ((image.header.channels ?? 3) < 3) warn(`${argument} is a greyscale image; it was expanded to RGB`);
  if (image.width !== width || image.height !== height) warn(`${argument} is ${image.width}×${image.height} but the output is ${width}×${height}; it was resized to fit`);
  return resizeRgb({ width: image.width, height: image.height, rgb: image.data }, width, height);
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
 * Decodes an image to upscale, of any size up to the pixel limit, upright, as 8-bit RGB(A). 16-bit and
 * CMYK images are refused with the reason (the upscaler works on 8-bit sRGB); of an animation, the
 * first frame is used, with a notice.
 */
export async function decodeForUpscale(bytes: Uint8Array, argument: string, notice?: (message: string) => void): Promise<RgbaImage> {
  const image = await decodeUpright(factory, bytes, source(argument), {
    as: 'rgba',
    maxPixels: MAX_PIXELS,
    refuse: { depth: 'the upscaler works in 8 bits per channel and would lose its precision (convert it to 8-bit first)', cmyk: 'convert it to sRGB first (the upscaler was trained on RGB)' },
    notice,
  });
  const { rgb, alpha } = splitRgba(image.data, image.hasAlpha);
  return { width: image.width, height: image.height, rgb, alpha };
}
