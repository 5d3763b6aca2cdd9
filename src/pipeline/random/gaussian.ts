/**
 * Seeded Gaussian noise, generated on the CPU so a seed gives the same image on every machine and
 * execution provider. The algorithm is part of Atelier's reproducibility contract; changing it changes
 * every seeded image, so it is pinned by golden values in the tests:
 *
 * 1. The unsigned 32-bit seed is expanded by SplitMix32 into the 128-bit state of xoshiro128**.
 * 2. Each uniform is `(next() + 0.5) / 2^32`, which lies strictly inside (0, 1).
 * 3. Normals come in Box–Muller pairs: r = √(−2 ln u1), then r·cos(2πu2) and r·sin(2πu2), in float64,
 *    stored as float32. Arrays are filled in order (NCHW for latents); an odd tail uses the cosine half.
 */

function splitMix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

export class GaussianNoise {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
      throw new RangeError(`seed must be an integer from 0 to 4294967295, got ${seed}`);
    }
    const mix = splitMix32(seed);
    this.s0 = mix();
    this.s1 = mix();
    this.s2 = mix();
    this.s3 = mix();
  }

  /** xoshiro128**: next unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in the open interval (0, 1). */
  nextUniform(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  /** `length` standard-normal samples. */
  normal(length: number): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(this.nextUniform()));
      const theta = 2 * Math.PI * this.nextUniform();
      out[i] = r * Math.cos(theta);
      if (i + 1 < length) out[i + 1] = r * Math.sin(theta);
    }
    return out;
  }
}
