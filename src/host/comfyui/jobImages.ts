/**
 * The job's images for a ComfyUI server: decoded upright to RGB (the mask to one grey channel at the
 * image's size), then brought to a working size in multiples of 8 (VAEEncode would crop otherwise);
 * the result goes back to the original size, where the inpaint paste-back happens.
 */
import { PipelineError } from '../../shared/errors';
import { resizeNearest } from '../../shared/imageMath/resizeNearest';
import { isRawImage, type GenerationRequest, type ImageInput } from '../../shared/request';
import { decodeGrayAt, decodeRgba, ImageReadError, resizeRaw } from '../images/imageCodec';
import type { WorkingImages } from './jobInput';
import { crop, cropWorkingSize, maskBounds, sideOf8, type Rect } from './regions';
import type { RawImage } from './workflowInput';

export interface JobImages {
  /** What the server gets. */
  readonly working: WorkingImages;
  /** The init image as decoded (RGB), for the paste-back and the final size. */
  readonly original?: RawImage;
  /** The mask at the original's size (one byte per pixel). */
  readonly mask?: Uint8Array;
  /** Only-masked inpainting: the box of the original the server paints. */
  readonly crop?: Rect;
  /** Outpainting: the result's size and where the original sits in it (original pixels). */
  readonly outpaint?: { readonly width: number; readonly height: number; readonly left: number; readonly top: number };
}

/** The longer side an only-masked crop is painted at, at least (SD 1.x's resolution; larger crops keep theirs). */
export const ONLY_MASKED_MIN_SIDE = 512;

/** The nearest multiple of 8 (at least 8). */
export const workingSide = (side: number): number => Math.max(8, Math.round(side / 8) * 8);

function toRgb(image: RawImage): RawImage {
  if (image.channels === 3) return image;
  const n = image.width * image.height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = image.data[i * image.channels + (image.channels === 4 ? c : 0)];
  return { width: image.width, height: image.height, channels: 3, data };
}

async function decoding<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ImageReadError) throw new PipelineError('INVALID_INPUT', error.message, { argument: what });
    throw error;
  }
}

async function decodeImage(input: ImageInput, name: string, warn: (m: string) => void): Promise<RawImage> {
  if (isRawImage(input)) return toRgb(input);
  const rgba = await decoding('initImage', () => decodeRgba(input, name, warn));
  return toRgb({ ...rgba, channels: 4 });
}

async function decodeMask(input: ImageInput, name: string, size: { width: number; height: number }, warn: (m: string) => void): Promise<Uint8Array> {
  if (isRawImage(input)) {
    const grey = input.channels === 1 ? input.data : Uint8Array.from({ length: input.width * input.height }, (_, i) => input.data[i * input.channels]);
    if (input.width === size.width && input.height === size.height) return grey;
    warn(`the mask is ${input.width}×${input.height} but the image is ${size.width}×${size.height}; the mask was resized to fit`);
    return resizeNearest(grey, input.width, input.height, size.width, size.height);
  }
  const { data, original } = await decoding('mask', () => decodeGrayAt(input, name, size));
  if (original.width !== size.width || original.height !== size.height) warn(`the mask is ${original.width}×${original.height} but the image is ${size.width}×${size.height}; the mask was resized to fit`);
  return data;
}

/** Resizes RGB pixels (Lanczos), or returns them as they are when the size already matches. */
export async function resizeRgb(image: RawImage, width: number, height: number): Promise<RawImage> {
  if (image.width === width && image.height === height) return image;
  return { width, height, channels: image.channels, data: await resizeRaw(image.data, image, image.channels, { width, height }) };
}

/** The control images, decoded and brought to `size` (`within`: first to that size, then cropped to the box). */
async function controlImages(request: GenerationRequest, labels: { controlLabels?: readonly string[] }, size: { width: number; height: number }, warn: (m: string) => void, within?: { width: number; height: number; rect: Rect }): Promise<RawImage[]> {
  const out: RawImage[] = [];
  for (const [i, control] of (request.controls ?? []).entries()) {
    const name = labels.controlLabels?.[i] ?? `the ${control.type} control image`;
    let image = isRawImage(control.image) ? toRgb(control.image) : toRgb({ ...(await decoding('controls', () => decodeRgba(control.image as Uint8Array, name, warn))), channels: 4 });
    if (within) image = crop(await resizeRgb(image, within.width, within.height), within.rect);
    else if (image.width !== size.width || image.height !== size.height) warn(`${name} is ${image.width}×${image.height}; it was resized to the ${size.width}×${size.height} the server paints`);
    out.push(await resizeRgb(image, size.width, size.height));
  }
  return out;
}

export async function jobImages(request: GenerationRequest, labels: { initImageLabel?: string; maskLabel?: string; controlLabels?: readonly string[] }, warn: (m: string) => void): Promise<JobImages> {
  if (request.kind === 'txt2img') {
    const controls = await controlImages(request, labels, request, warn);
    return { working: controls.length > 0 ? { controls } : {} };
  }
  // 1. Decode upright.
  const original = await decodeImage(request.initImage, labels.initImageLabel ?? 'the init image', warn);
  const { width, height } = original;
  const mask = request.kind === 'inpaint' ? await decodeMask(request.mask, labels.maskLabel ?? 'the mask', original, warn) : undefined;

  // 2a. Only-masked: the server paints the box around the mask, at least at the model's resolution.
  if (request.kind === 'inpaint' && request.onlyMasked && mask) {
    const rect = maskBounds(mask, width, height, request.onlyMasked.padding);
    if (!rect) throw new PipelineError('INVALID_INPUT', 'the mask is empty: paint (white) where the image should change', { argument: 'mask' });
    const size = cropWorkingSize(rect, ONLY_MASKED_MIN_SIDE);
    const image = await resizeRgb(crop(original, rect), size.width, size.height);
    const cropMask = crop({ width, height, channels: 1, data: mask }, rect);
    const workingMask = { ...size, channels: 1 as const, data: resizeNearest(cropMask.data, rect.width, rect.height, size.width, size.height) };
    const controls = await controlImages(request, labels, size, warn, { width, height, rect });
    return { working: { image, mask: workingMask, cropped: true, ...(controls.length > 0 ? { controls } : {}) }, original, mask, crop: rect };
  }

  // 2. The working size.
  const w = workingSide(width);
  const h = workingSide(height);
  if (w !== width || h !== height) warn(`the image is ${width}×${height}; ComfyUI works in multiples of 8, so it was sent as ${w}×${h} and the result brought back to ${width}×${height}`);
  const image = await resizeRgb(original, w, h);
  const workingMask = mask && { width: w, height: h, channels: 1 as const, data: w === width && h === height ? mask : resizeNearest(mask, width, height, w, h) };

  // 2b. Outpaint: each side's growth at the working scale, in multiples of 8.
  if (request.kind === 'outpaint') {
    const e = request.extend;
    const extend = { left: sideOf8((e.left * w) / width), right: sideOf8((e.right * w) / width), top: sideOf8((e.top * h) / height), bottom: sideOf8((e.bottom * h) / height) };
    const controls = await controlImages(request, labels, { width: w + extend.left + extend.right, height: h + extend.top + extend.bottom }, warn);
    const outpaint = { width: width + e.left + e.right, height: height + e.top + e.bottom, left: e.left, top: e.top };
    return { working: { image, extend, ...(controls.length > 0 ? { controls } : {}) }, original, outpaint };
  }
  const controls = await controlImages(request, labels, { width: w, height: h }, warn);
  return { working: { image, ...(workingMask ? { mask: workingMask } : {}), ...(controls.length > 0 ? { controls } : {}) }, original, ...(mask ? { mask } : {}) };
}
