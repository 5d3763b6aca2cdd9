/** Mask math for inpainting (pure): the hard mask, latent-resolution mask, latent blending. (The seam: shared/imageMath/featherInward.) */

/** Mask u8 → [0,1] float: 1 where it is painted (≥ 128), 0 elsewhere. */
export function hardMask(mask: Uint8Array): Float32Array {
  return Float32Array.from(mask, (v) => (v >= 128 ? 1 : 0));
}

/** The mask at latent resolution (h×w): the mean of each 8×8 block, in [0,1]. */
export function latentMask(mask: Float32Array, width: number, height: number): Float32Array {
  const lw = width / 8;
  const lh = height / 8;
  const out = new Float32Array(lw * lh);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[Math.floor(y / 8) * lw + Math.floor(x / 8)] += mask[y * width + x] / 64;
  return out;
}

/** latents·m + other·(1−m), per channel, for [4,h,w] tensors and an h×w mask. */
export function blendLatents(latents: Float32Array, other: Float32Array, mask: Float32Array): Float32Array {
  const plane = mask.length;
  const out = new Float32Array(latents.length);
  for (let i = 0; i < latents.length; i++) {
    const m = mask[i % plane];
    out[i] = latents[i] * m + other[i] * (1 - m);
  }
  return out;
}
