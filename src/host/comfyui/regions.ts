/**
 * Pixel regions for the server's outpaint and only-masked jobs, as pure functions: the box around a
 * mask, crops, and placing pixels back at an offset. The server gets a crop or a padded image; the
 * host puts its answer back so the pixels it must keep stay byte-identical.
 */
import type { RawImage } from './workflowInput';

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The box around the mask's painted pixels (≥ 128) grown by `padding` on each side and kept inside the image; undefined when nothing is painted. */
export function maskBounds(mask: Uint8Array, width: number, height: number, padding: number): Rect | undefined {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x] < 128) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return undefined;
  const left = Math.max(0, x0 - padding);
  const top = Math.max(0, y0 - padding);
  const right = Math.min(width, x1 + 1 + padding);
  const bottom = Math.min(height, y1 + 1 + padding);
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/** The pixels of `rect` (any channel count). */
export function crop(image: RawImage, rect: Rect): RawImage {
  const { channels } = image;
  const data = new Uint8Array(rect.width * rect.height * channels);
  for (let y = 0; y < rect.height; y++) {
    const from = ((rect.y + y) * image.width + rect.x) * channels;
    data.set(image.data.subarray(from, from + rect.width * channels), y * rect.width * channels);
  }
  return { width: rect.width, height: rect.height, channels, data };
}

/** A copy of `target` with `patch` written at (x, y); both of one channel count, the patch inside the target. */
export function place(target: RawImage, patch: RawImage, x: number, y: number): RawImage {
  if (patch.channels !== target.channels || x < 0 || y < 0 || x + patch.width > target.width || y + patch.height > target.height) {
    throw new RangeError(`cannot place ${patch.width}×${patch.height}×${patch.channels} at (${x}, ${y}) in ${target.width}×${target.height}×${target.channels}`);
  }
  const data = target.data.slice();
  const { channels } = target;
  for (let row = 0; row < patch.height; row++) {
    data.set(patch.data.subarray(row * patch.width * channels, (row + 1) * patch.width * channels), ((y + row) * target.width + x) * channels);
  }
  return { width: target.width, height: target.height, channels, data };
}

/** A side in multiples of 8 (what VAEEncode keeps), at least 8 when the side is not 0. */
export function sideOf8(px: number): number {
  return px === 0 ? 0 : Math.max(8, Math.round(px / 8) * 8);
}

/**
 * The working size of an only-masked crop: its aspect kept, the longer side at least `minSide` (so a
 * small mask is painted at the model's resolution), both sides in multiples of 8.
 */
export function cropWorkingSize(rect: Rect, minSide: number): { width: number; height: number } {
  const scale = Math.max(1, minSide / Math.max(rect.width, rect.height));
  return { width: sideOf8(rect.width * scale), height: sideOf8(rect.height * scale) };
}
