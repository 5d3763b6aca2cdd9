import sharp from 'sharp';
import { expect } from 'vitest';
import { chwToRgb8 } from '../../src/pipeline/ops/image';
import type { RgbImage } from '../../src/pipeline/ops/decodeImage';

/** Raw interleaved pixels → PNG bytes. */
export async function pngOf(pixels: Uint8Array, width: number, height: number, channels: 1 | 3 | 4 = 3): Promise<Uint8Array> {
  const image = sharp(Buffer.from(pixels), { raw: { width, height, channels } });
  // sharp writes 1-channel raw input as RGB unless told the colourspace.
  return new Uint8Array(await (channels === 1 ? image.toColourspace('b-w') : image).png().toBuffer());
}

/** An RGB image constant on 8×8 blocks (so the oracles' 8× pooling sees it exactly), values from `seed`. */
export function blockImage(width: number, height: number, seed: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  let state = seed >>> 0;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state >>> 24;
  };
  const blocks = new Uint8Array((width / 8) * (height / 8) * 3).map(() => next());
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) rgb[(y * width + x) * 3 + c] = blocks[(Math.floor(y / 8) * (width / 8) + Math.floor(x / 8)) * 3 + c];
  return rgb;
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A mask painted (255) inside the rectangle x0…x1 × y0…y1 (ends excluded). */
export function rectMask(width: number, height: number, x0: number, y0: number, x1: number, y1: number): Uint8Array {
  const m = new Uint8Array(width * height);
  for (let y = y0; y < y1; y++) m.fill(255, y * width + x0, y * width + x1);
  return m;
}

/** Expects every pixel where the mask is 0 to be byte-identical to the original; returns how many were checked. */
export function unmaskedExact(out: Float32Array, init: RgbImage, mask: Uint8Array): number {
  const rgb = chwToRgb8(out, init.width, init.height);
  let checked = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] !== 0) continue;
    for (let c = 0; c < 3; c++) if (rgb[i * 3 + c] !== init.rgb[i * 3 + c]) expect(rgb[i * 3 + c], `unmasked pixel (${i % init.width}, ${Math.floor(i / init.width)})`).toBe(init.rgb[i * 3 + c]);
    checked += 1;
  }
  return checked;
}
