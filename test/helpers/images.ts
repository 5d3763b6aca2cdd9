import sharp from 'sharp';

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
