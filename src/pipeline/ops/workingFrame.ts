/**
 * The working frame: the size an image (or an "only masked" crop) is generated at, and the way back to
 * its own size. Images come in any size; the UNet needs multiples of 8 and runs far slower (and, for
 * SD 1.x, composes worse) far above the model's native resolution. So the image is
 *
 * 1. scaled (Lanczos, aspect kept) only when it must be: down to about the model's pixel budget when it
 *    is larger (unless full size was chosen), or up when a side is under 64 px or a crop is smaller than
 *    the model's native size;
 * 2. padded on the right and bottom to multiples of 64 by repeating the edge pixels, so an image that
 *    is not scaled is generated pixel for pixel, with no resampling at all. 64, not 8: an exported SD
 *    UNet halves the latents three times and concatenates the skips on the way back up, so latents
 *    that are not multiples of 8 fail in onnxruntime ("Concat … 87 and 88");
 *
 * and the generated result is cropped back and, if it was scaled, resized to exactly the input's size.
 * Padding (not stretching) keeps the aspect exact and the common case (a photo at or below the budget)
 * free of resampling blur.
 */
import { PipelineError } from '../../shared/errors';
import { MAX_PIXELS, type WorkingResolution } from '../../shared/request';
import { resizeRgb, rgbToUnitChw, type RgbImage } from './decodeImage';
import { extendEdges } from './extendEdges';
import { chwToRgb8 } from './image';

/** The smallest side the pipelines generate at (8 latent pixels). */
export const MIN_SIDE = 64;
/** The pixel budget, in multiples of the model's native square: 1.5 × 512² is 768×512, SD 1.x's usual largest size. */
export const BUDGET_FACTOR = 1.5;

export interface FramePolicy {
  /** Scale down to this many pixels when larger (undefined: full size). */
  readonly maxPixels?: number;
  /** Scale up until the longer side is at least this ("only masked" crops are painted at the native size). */
  readonly minLonger?: number;
}

export interface WorkingFrame {
  /** The input's own size. */
  readonly width: number;
  readonly height: number;
  /** After scaling (equal to the input's size when not scaled). */
  readonly scaledWidth: number;
  readonly scaledHeight: number;
  /** After padding to multiples of 64: what the UNet sees. */
  readonly paddedWidth: number;
  readonly paddedHeight: number;
  /** Where the image sits in the padded frame (txt2img centres it; images are padded right and bottom: 0). */
  readonly left?: number;
  readonly top?: number;
}

/** The policy for a whole image or an "only masked" crop, for a model of `nativeSize` px. */
export function framePolicy(nativeSize: number, resolution: WorkingResolution | undefined, crop: boolean): FramePolicy {
  return { maxPixels: resolution === 'full' ? undefined : Math.round(BUDGET_FACTOR * nativeSize * nativeSize), minLonger: crop ? nativeSize : undefined };
}

/** The padding unit: 8 latent pixels, what the UNet's three downsamplings need. */
export const FRAME_UNIT = 64;
const pad = (v: number): number => Math.max(MIN_SIDE, Math.ceil(v / FRAME_UNIT) * FRAME_UNIT);

/** Plans the frame for a width×height input (pure). Throws when no frame under the pixel limit fits. */
export function planFrame(width: number, height: number, policy: FramePolicy): WorkingFrame {
  let scale = 1;
  if (policy.maxPixels !== undefined && width * height > policy.maxPixels) scale = Math.sqrt(policy.maxPixels / (width * height));
  if (policy.minLonger !== undefined && Math.max(width, height) * scale < policy.minLonger) scale = policy.minLonger / Math.max(width, height);
  if (Math.min(width, height) * scale < MIN_SIDE) scale = MIN_SIDE / Math.min(width, height);
  const scaled = scale === 1 ? { w: width, h: height } : { w: Math.max(1, Math.round(width * scale)), h: Math.max(1, Math.round(height * scale)) };
  const frame = { width, height, scaledWidth: scaled.w, scaledHeight: scaled.h, paddedWidth: pad(scaled.w), paddedHeight: pad(scaled.h) };
  if (frame.paddedWidth * frame.paddedHeight > MAX_PIXELS) {
    throw new PipelineError('INVALID_INPUT', `a ${width}×${height} image would have to be generated at ${frame.paddedWidth}×${frame.paddedHeight} (its short side must reach ${MIN_SIDE} px), more than the ${MAX_PIXELS}-pixel limit; crop it to a less extreme shape`, { argument: 'image' });
  }
  return frame;
}

/**
 * txt2img's frame: the requested size (multiples of 8) generated at the next multiples of 64 and the
 * centre cropped back (an offset in whole latent pixels), so the subject stays centred and nothing is
 * resampled. Sizes that are already multiples of 64 are generated as they are.
 */
export function planTxt2ImgFrame(width: number, height: number): WorkingFrame {
  const paddedWidth = pad(width);
  const paddedHeight = pad(height);
  const centre = (padded: number, side: number): number => Math.floor((padded - side) / 16) * 8;
  return { width, height, scaledWidth: width, scaledHeight: height, paddedWidth, paddedHeight, left: centre(paddedWidth, width), top: centre(paddedHeight, height) };
}

/** The notice when txt2img was generated larger and cropped; undefined when generated at the requested size. */
export function txt2ImgFrameNotice(frame: WorkingFrame): string | undefined {
  const { width, height, paddedWidth, paddedHeight } = frame;
  if (paddedWidth === width && paddedHeight === height) return undefined;
  return `${width}×${height} was generated at ${paddedWidth}×${paddedHeight} (SD UNets need multiples of 64) and the centre cropped to ${width}×${height}; use multiples of 64 to get the whole generated picture`;
}

function framePadding(frame: WorkingFrame): { left: number; top: number; right: number; bottom: number } {
  const left = frame.left ?? 0;
  const top = frame.top ?? 0;
  return { left, top, right: frame.paddedWidth - frame.scaledWidth - left, bottom: frame.paddedHeight - frame.scaledHeight - top };
}

export function isScaled(frame: WorkingFrame): boolean {
  return frame.scaledWidth !== frame.width || frame.scaledHeight !== frame.height;
}

/** Repeats the last column and row of an interleaved image out to the padded size (pure). */
export function padEdge(data: Uint8Array, width: number, height: number, channels: number, toWidth: number, toHeight: number): Uint8Array {
  return extendEdges(data, width, height, channels, { left: 0, top: 0, right: toWidth - width, bottom: toHeight - height });
}

/** An RGB image brought into the frame: scaled if the frame says so, then edge-padded. */
export async function rgbIntoFrame(image: RgbImage, frame: WorkingFrame): Promise<RgbImage> {
  const scaled = await resizeRgb(image, frame.scaledWidth, frame.scaledHeight);
  return { width: frame.paddedWidth, height: frame.paddedHeight, rgb: extendEdges(scaled.rgb, scaled.width, scaled.height, 3, framePadding(frame)) };
}

/** A mask (one channel) brought into the frame: nearest-neighbour scaling keeps it hard, then edge-padded. */
export function maskIntoFrame(mask: Uint8Array, frame: WorkingFrame, resizeNearest: (data: Uint8Array, w: number, h: number, tw: number, th: number) => Uint8Array): Uint8Array {
  const scaled = isScaled(frame) ? resizeNearest(mask, frame.width, frame.height, frame.scaledWidth, frame.scaledHeight) : mask;
  return extendEdges(scaled, frame.scaledWidth, frame.scaledHeight, 1, framePadding(frame));
}

/** Generated [3, paddedH, paddedW] in [0,1] → [3, height, width]: the padding cropped off, the scaling undone. */
export async function chwOutOfFrame(generated: Float32Array, frame: WorkingFrame): Promise<Float32Array> {
  const { paddedWidth: pw, paddedHeight: ph, scaledWidth: sw, scaledHeight: sh } = frame;
  const { left, top } = framePadding(frame);
  const cropped = new Float32Array(3 * sw * sh);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < sh; y++) {
      const from = c * pw * ph + (y + top) * pw + left;
      cropped.set(generated.subarray(from, from + sw), c * sw * sh + y * sw);
    }
  }
  if (!isScaled(frame)) return cropped;
  const back = await resizeRgb({ width: sw, height: sh, rgb: chwToRgb8(cropped, sw, sh) }, frame.width, frame.height);
  return rgbToUnitChw(back);
}

/** The notice when the frame was scaled; undefined when the image is generated at its own size. */
export function frameNotice(frame: WorkingFrame, what: string): string | undefined {
  if (!isScaled(frame)) return undefined;
  const sizes = `${what} is ${frame.width}×${frame.height}; it was generated at ${frame.scaledWidth}×${frame.scaledHeight}`;
  if (frame.scaledWidth > frame.width) return `${sizes} (the smallest size the model takes) and scaled back`;
  return `${sizes}, about the model's pixel budget, and scaled back to ${frame.width}×${frame.height}; to generate at full size (slower, and SD 1.x may repeat subjects) set atelier.workingResolution to "full" (CLI: --full-size)`;
}
