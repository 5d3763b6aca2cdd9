/** Image conversions between VAE tensors and 8-bit pixels. */

/**
 * VAE output [1,3,H,W] in ≈[−1,1] → [0,1] float CHW, clipped: clip(x/2 + 0.5, 0, 1).
 */
export function denormalize(decoded: Float32Array): Float32Array {
  return denormalize_(decoded.slice());
}

/** In-place variant for the decoder's own output buffer (saves a full-image allocation). */
export function denormalize_(decoded: Float32Array): Float32Array {
  const out = decoded;
  for (let i = 0; i < decoded.length; i++) {
    const v = decoded[i] * 0.5 + 0.5;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}

/** [0,1] float CHW (3 planes) → interleaved RGB u8, rounded to nearest. */
export function chwToRgb8(chw: Float32Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  if (chw.length !== 3 * plane) throw new Error(`expected ${3 * plane} values for ${width}×${height} RGB, got ${chw.length}`);
  const out = new Uint8Array(3 * plane);
  // Inputs are already clipped to [0, 1], so +0.5 and truncation is round-half-up without Math.round.
  for (let c = 0; c < 3; c++) {
    const offset = c * plane;
    for (let i = 0, o = c; i < plane; i++, o += 3) out[o] = (chw[offset + i] * 255 + 0.5) | 0;
  }
  return out;
}

/**
 * Linear latent → RGB approximation for live previews (no VAE pass). The factors are the widely used
 * SD 1.x/2.x fit of RGB against the four latent channels; preview quality only, never saved.
 */
const LATENT_RGB_FACTORS: readonly (readonly [number, number, number])[] = [
  [0.3512, 0.2297, 0.3227],
  [0.3250, 0.4974, 0.2350],
  [-0.2829, 0.1762, 0.2721],
  [-0.2120, -0.2616, -0.7177],
];

/** Latents [1,4,h,w] (unscaled, as the sampler holds them) → interleaved RGB u8 at h×w. */
export function latentPreview(latents: Float32Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  const out = new Uint8Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v += latents[k * plane + i] * LATENT_RGB_FACTORS[k][c];
      out[3 * i + c] = Math.round(Math.min(1, Math.max(0, (v + 1) / 2)) * 255);
    }
  }
  return out;
}
