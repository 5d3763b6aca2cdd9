/** Mask math for inpainting (pure): feather, latent-resolution mask, latent blending. */
import { boxBlur3 } from '../../shared/imageMath/boxBlur';

/** Mask u8 → [0,1] float, feathered by a triple box blur of `radius` px (≈ Gaussian); 0 keeps it hard. */
export function featherMask(mask: Uint8Array, width: number, height: number, radius: number): Float32Array {
  return boxBlur3(Float32Array.from(mask, (v) => v / 255), width, height, radius);
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
