import { describe, expect, it } from 'vitest';
import { chwToRgb8, denormalize, denormalize_, latentPreview } from '../../../src/pipeline/ops/image';

describe('image ops', () => {
  it('denormalize maps [−1,1] to [0,1] and clips; the in-place variant writes its input', () => {
    const x = new Float32Array([-2, -1, 0, 0.5, 1, 3]);
    expect(Array.from(denormalize(x))).toEqual([0, 0, 0.5, 0.75, 1, 1]);
    expect(x[0]).toBe(-2);
    denormalize_(x);
    expect(x[0]).toBe(0);
  });
  it('CHW [0,1] → interleaved RGB u8 with rounding', () => {
    const chw = new Float32Array([0, 1, 0.5, 0.2, 0.998, 0.001]); // 2 pixels: R plane, G plane, B plane
    // pixel 0 = (R 0, G 0.5, B 0.998 → 254.49), pixel 1 = (R 1, G 0.2, B 0.001)
    expect(Array.from(chwToRgb8(chw, 2, 1))).toEqual([0, 128, 254, 255, 51, 0]);
  });
  it('rejects a mismatched size', () => {
    expect(() => chwToRgb8(new Float32Array(5), 2, 1)).toThrow(/expected 6 values for 2×1 RGB, got 5/);
  });
  it('latent preview is h×w RGB', () => {
    expect(latentPreview(new Float32Array(4 * 6), 3, 2)).toHaveLength(18);
  });
});
