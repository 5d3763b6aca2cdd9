/** "Inpaint only the masked area": the crop around the mask (pure; ops/workingFrame.ts picks the size it is generated at). */
import type { Rect } from '../../shared/canvas/rect';

/** Bounding box of mask values > 127, or undefined when nothing is painted. */
export function maskBounds(mask: Uint8Array, width: number, height: number): Rect | undefined {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x] <= 127) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? undefined : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Grows `bounds` by `margin` on every side, aligns it outwards to multiples of 8 (at least 64), clips to the image. */
export function cropRegion(bounds: Rect, margin: number, width: number, height: number): Rect {
  const grow = (start: number, size: number, limit: number): [number, number] => {
    let a = Math.max(0, Math.floor((start - margin) / 8) * 8);
    let b = Math.min(limit, Math.ceil((start + size + margin) / 8) * 8);
    // Widen to 64 px (the pipeline's minimum) towards whichever side has room.
    while (b - a < Math.min(64, limit)) {
      if (b < limit) b += 8;
      else a -= 8;
    }
    return [a, b];
  };
  const [x0, x1] = grow(bounds.x, bounds.width, width);
  const [y0, y1] = grow(bounds.y, bounds.height, height);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
