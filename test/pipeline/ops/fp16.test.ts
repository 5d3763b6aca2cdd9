import { describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16, fromHalfBits, toHalfBits } from '../../../src/pipeline/ops/fp16';

describe('fp16 conversion', () => {
  it('round-trips exactly representable values', () => {
    const values = new Float32Array([0, 1, -2, 2.5, -3, 65504, 0.5, 6.103515625e-5, 5.960464477539063e-8]);
    expect(Array.from(float16ToFloat32(float32ToFloat16(values)))).toEqual(Array.from(values));
  });
  it('known bit patterns', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(1e6)).toBe(0x7c00);
    expect(fromHalfBits(0x7e00)).toBeNaN();
  });
  it('rounds to nearest even and stays within half-precision error on [−2, 2]', () => {
    expect(fromHalfBits(toHalfBits(1 + 2 ** -11))).toBe(1); // tie → even
    expect(fromHalfBits(toHalfBits(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9);
    let max = 0;
    for (let x = -2; x <= 2; x += 0.000731) max = Math.max(max, Math.abs(fromHalfBits(toHalfBits(x)) - x));
    expect(max).toBeLessThanOrEqual(2 ** -11 * 2);
  });
});
