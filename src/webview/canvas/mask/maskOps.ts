/**
 * Mask math on single-channel W×H bitmaps (0 = keep, 255 = repaint). Pure functions; the `_`
 * suffix marks in-place variants used while a stroke is being drawn.
 */
import { boxBlur3 } from '../../../shared/imageMath/boxBlur';
import { resizeNearest as resizeNearestData } from '../../../shared/imageMath/resizeNearest';
import { clipRect, unionRect, type Rect } from '../../../shared/canvas/rect';

export interface Bitmap {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export function createBitmap(width: number, height: number, fill = 0): Bitmap {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`bitmap size must be positive integers, got ${width}×${height}`);
  return { width, height, data: new Uint8Array(width * height).fill(fill) };
}

export interface Brush {
  /** Radius in pixels (> 0). */
  readonly radius: number;
  /** 0 (soft, linear falloff from the centre) … 1 (hard edge). */
  readonly hardness: number;
  /** 255 paints (repaint), 0 erases (keep). */
  readonly value: number;
  /** 0…1 strength of one dab. */
  readonly opacity?: number;
}

/** Coverage of a dab at distance d: 1 inside the hard core, falling linearly to 0 at the radius. */
function coverage(d: number, radius: number, hardness: number): number {
  if (d >= radius) return 0;
  const core = radius * hardness;
  if (d <= core) return 1;
  return 1 - (d - core) / (radius - core);
}

/** Stamps one dab at (cx, cy); returns the touched rectangle (clipped), or undefined when outside. */
export function stamp_(bitmap: Bitmap, cx: number, cy: number, brush: Brush): Rect | undefined {
  const r = brush.radius;
  const rect = clipRect({ x: Math.floor(cx - r), y: Math.floor(cy - r), width: Math.ceil(2 * r) + 2, height: Math.ceil(2 * r) + 2 }, bitmap.width, bitmap.height);
  if (!rect) return undefined;
  const opacity = brush.opacity ?? 1;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const c = coverage(Math.hypot(x + 0.5 - cx, y + 0.5 - cy), r, brush.hardness) * opacity;
      if (c <= 0) continue;
      const i = y * bitmap.width + x;
      const current = bitmap.data[i];
      // Move towards the brush value by the coverage; never overshoot (repeated dabs saturate).
      bitmap.data[i] = Math.round(current + (brush.value - current) * c);
    }
  }
  return rect;
}

/** Dabs along a segment with spacing of a quarter radius, so fast pointer moves leave no gaps. */
export function strokeSegment_(bitmap: Bitmap, x0: number, y0: number, x1: number, y1: number, brush: Brush): Rect | undefined {
  const length = Math.hypot(x1 - x0, y1 - y0);
  const steps = Math.max(1, Math.ceil(length / Math.max(0.5, brush.radius / 4)));
  let touched: Rect | undefined;
  for (let s = 1; s <= steps; s++) {
    const t = s / steps;
    const r = stamp_(bitmap, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, brush);
    if (r) touched = unionRect(touched, r);
  }
  return touched;
}

export function fill(bitmap: Bitmap, value: number): Bitmap {
  return { ...bitmap, data: new Uint8Array(bitmap.data.length).fill(value) };
}

export function invert(bitmap: Bitmap): Bitmap {
  return { ...bitmap, data: bitmap.data.map((v) => 255 - v) };
}

/** Feathers the mask edge: three box-blur passes of `radius` px (≈ Gaussian); 0 returns a copy. */
export function feather(bitmap: Bitmap, radius: number): Bitmap {
  if (!Number.isInteger(radius) || radius < 0) throw new RangeError(`feather radius must be a whole number ≥ 0, got ${radius}`);
  const blurred = boxBlur3(Float32Array.from(bitmap.data), bitmap.width, bitmap.height, radius);
  return { ...bitmap, data: Uint8Array.from(blurred, (v) => Math.round(v)) };
}

/** Nearest-neighbour resize (masks stay binary-ish; used when a mask of another size is loaded). */
export function resizeNearest(bitmap: Bitmap, width: number, height: number): Bitmap {
  return { width, height, data: resizeNearestData(bitmap.data, bitmap.width, bitmap.height, width, height) };
}

/** Smallest rectangle holding every pixel above `threshold`, or undefined for an empty mask. */
export function boundingRect(bitmap: Bitmap, threshold = 0): Rect | undefined {
  let x0 = bitmap.width;
  let y0 = bitmap.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < bitmap.height; y++) {
    for (let x = 0; x < bitmap.width; x++) {
      if (bitmap.data[y * bitmap.width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? undefined : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}
