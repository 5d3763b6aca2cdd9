/** Growing an image by repeating its edge pixels outwards (pure). */

export interface Sides {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

/** Interleaved pixels (`channels` per pixel) grown by `sides`, each new pixel a copy of the nearest edge pixel. */
export function extendEdges(data: Uint8Array, width: number, height: number, channels: number, sides: Sides): Uint8Array {
  if (sides.left === 0 && sides.right === 0 && sides.top === 0 && sides.bottom === 0) return data;
  const toWidth = width + sides.left + sides.right;
  const toHeight = height + sides.top + sides.bottom;
  const out = new Uint8Array(toWidth * toHeight * channels);
  for (let y = 0; y < toHeight; y++) {
    const sy = Math.min(height - 1, Math.max(0, y - sides.top));
    const row = data.subarray(sy * width * channels, (sy + 1) * width * channels);
    const at = y * toWidth * channels;
    out.set(row, at + sides.left * channels);
    const first = row.subarray(0, channels);
    const last = row.subarray((width - 1) * channels);
    for (let x = 0; x < sides.left; x++) out.set(first, at + x * channels);
    for (let x = sides.left + width; x < toWidth; x++) out.set(last, at + x * channels);
  }
  return out;
}
