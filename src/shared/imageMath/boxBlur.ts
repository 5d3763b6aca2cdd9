/**
 * Pure image math for the canvas's mask tools. (The inpainting seam no longer blurs the mask outwards:
 * see featherInward.ts.)
 */

/** Three separable box-blur passes of `radius` (≈ Gaussian with σ ≈ radius), edges clamped. */
export function boxBlur3(source: Float32Array, width: number, height: number, radius: number): Float32Array {
  if (!Number.isInteger(radius) || radius < 0) throw new RangeError(`blur radius must be a whole number ≥ 0, got ${radius}`);
  if (radius === 0) return source.slice();
  const pass = (src: Float32Array, horizontal: boolean): Float32Array => {
    const out = new Float32Array(src.length);
    const lines = horizontal ? height : width;
    const length = horizontal ? width : height;
    for (let line = 0; line < lines; line++) {
      const at = (i: number): number => {
        const clamped = Math.min(length - 1, Math.max(0, i));
        return src[horizontal ? line * width + clamped : clamped * width + line];
      };
      let sum = 0;
      for (let i = -radius; i <= radius; i++) sum += at(i);
      for (let i = 0; i < length; i++) {
        out[horizontal ? line * width + i : i * width + line] = sum / (2 * radius + 1);
        sum += at(i + radius + 1) - at(i - radius);
      }
    }
    return out;
  };
  let data = source;
  for (let k = 0; k < 3; k++) data = pass(pass(data, true), false);
  return data;
}
