/**
 * The inpainting seam, feathered inward (pure, in shared/ so the canvas can show the same seam).
 * The weight is 0 wherever the mask is below 128, so those pixels come back exactly, and rises with
 * the distance from the nearest such pixel to 1 at `FEATHER_REACH × radius` px inside the painted
 * area (smoothstep). The blend therefore lies inside the painted mask, never around it. The image
 * border is not an edge: a mask that touches it is not faded there.
 */

/** How far the feather reaches into the mask, in multiples of its radius (3 box passes reached as far outward). */
export const FEATHER_REACH = 3;

const DIAGONAL = Math.SQRT2;

/** Chamfer distance (1, √2) from each pixel to the nearest pixel where `kept` is true; Infinity when there is none. */
function distanceToKept(kept: (i: number) => boolean, width: number, height: number): Float32Array {
  const d = new Float32Array(width * height);
  for (let i = 0; i < d.length; i++) d[i] = kept(i) ? 0 : Infinity;
  const relax = (i: number, j: number, cost: number): void => {
    const through = d[j] + cost;
    if (through < d[i]) d[i] = through;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (x > 0) relax(i, i - 1, 1);
      if (y > 0) {
        relax(i, i - width, 1);
        if (x > 0) relax(i, i - width - 1, DIAGONAL);
        if (x < width - 1) relax(i, i - width + 1, DIAGONAL);
      }
    }
  }
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const i = y * width + x;
      if (x < width - 1) relax(i, i + 1, 1);
      if (y < height - 1) {
        relax(i, i + width, 1);
        if (x < width - 1) relax(i, i + width + 1, DIAGONAL);
        if (x > 0) relax(i, i + width - 1, DIAGONAL);
      }
    }
  }
  return d;
}

/** Mask u8 (≥ 128 = repaint) → seam weights in [0, 1], 0 outside the mask; radius 0 keeps the edge hard. */
export function featherInward(mask: Uint8Array, width: number, height: number, radius: number): Float32Array {
  if (!Number.isInteger(radius) || radius < 0) throw new RangeError(`feather radius must be a whole number ≥ 0, got ${radius}`);
  const out = new Float32Array(width * height);
  if (radius === 0) {
    for (let i = 0; i < out.length; i++) out[i] = mask[i] >= 128 ? 1 : 0;
    return out;
  }
  const reach = FEATHER_REACH * radius;
  const distance = distanceToKept((i) => mask[i] < 128, width, height);
  for (let i = 0; i < out.length; i++) {
    const t = Math.min(1, distance[i] / reach);
    out[i] = t * t * (3 - 2 * t);
  }
  return out;
}
