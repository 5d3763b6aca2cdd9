import { describe, expect, it } from 'vitest';
import { crop, cropWorkingSize, maskBounds, place, sideOf8 } from '../../../src/host/comfyui/regions';
import type { RawImage } from '../../../src/host/comfyui/workflowInput';

const rgb = (width: number, height: number, f: (i: number) => number): RawImage => ({ width, height, channels: 3, data: Uint8Array.from({ length: width * height * 3 }, (_, i) => f(i)) });

describe('maskBounds', () => {
  it('boxes the painted pixels, grown by the padding and kept inside the image', () => {
    const mask = new Uint8Array(20 * 10);
    mask[3 * 20 + 5] = 255;
    mask[6 * 20 + 12] = 200;
    mask[9 * 20 + 19] = 127; // below half: not painted
    expect(maskBounds(mask, 20, 10, 0)).toEqual({ x: 5, y: 3, width: 8, height: 4 });
    expect(maskBounds(mask, 20, 10, 4)).toEqual({ x: 1, y: 0, width: 16, height: 10 });
  });
  it('is undefined for an empty mask', () => {
    expect(maskBounds(new Uint8Array(16), 4, 4, 8)).toBeUndefined();
  });
});

describe('crop and place', () => {
  it('place(crop) at the same spot gives the image back byte for byte', () => {
    const image = rgb(7, 5, (i) => (i * 37) % 256);
    const rect = { x: 2, y: 1, width: 3, height: 3 };
    const patch = crop(image, rect);
    expect(patch.width * patch.height * 3).toBe(patch.data.length);
    expect(patch.data.subarray(0, 3)).toEqual(image.data.subarray((1 * 7 + 2) * 3, (1 * 7 + 2) * 3 + 3));
    expect(place(image, patch, 2, 1).data).toEqual(image.data);
  });
  it('writes only inside the patch and leaves the target untouched', () => {
    const target = rgb(4, 4, () => 0);
    const out = place(target, rgb(2, 1, () => 9), 1, 2);
    expect([...out.data].filter((v) => v === 9)).toHaveLength(6);
    expect([...out.data.subarray((2 * 4 + 1) * 3, (2 * 4 + 3) * 3)]).toEqual([9, 9, 9, 9, 9, 9]);
    expect([...target.data].every((v) => v === 0)).toBe(true);
  });
  it('refuses a patch that does not fit', () => {
    expect(() => place(rgb(4, 4, () => 0), rgb(2, 2, () => 1), 3, 0)).toThrow(RangeError);
  });
});

describe('working sizes', () => {
  it('rounds sides to multiples of 8, keeping 0 as 0', () => {
    expect([0, 1, 3, 4, 12, 63, 64, 100].map(sideOf8)).toEqual([0, 8, 8, 8, 16, 64, 64, 104]);
  });
  it('paints a small crop at the minimum side, aspect kept; leaves a large one at its size', () => {
    expect(cropWorkingSize({ x: 0, y: 0, width: 100, height: 50 }, 512)).toEqual({ width: 512, height: 256 });
    expect(cropWorkingSize({ x: 0, y: 0, width: 900, height: 601 }, 512)).toEqual({ width: 904, height: 600 });
  });
});
