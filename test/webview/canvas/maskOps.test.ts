import { describe, expect, it } from 'vitest';
import { boundingRect, createBitmap, feather, fill, invert, resizeNearest, stamp_, strokeSegment_ } from '../../../src/webview/canvas/mask/maskOps';

describe('mask operations', () => {
  it('a hard stroke paints white along its path and nothing far from it', () => {
    const m = createBitmap(100, 50);
    const brush = { radius: 5, hardness: 1, value: 255 };
    // As the brush tool does it: a dab on pointer-down, then segments that exclude their start.
    stamp_(m, 10, 25, brush);
    strokeSegment_(m, 10, 25, 90, 25, brush);
    for (let x = 12; x <= 88; x++) expect(m.data[25 * 100 + x]).toBe(255);
    expect(m.data[5 * 100 + 50]).toBe(0);
    expect(m.data[45 * 100 + 50]).toBe(0);
    expect(boundingRect(m)).toEqual({ x: 5, y: 20, width: 90, height: 10 });
  });

  it('a soft brush falls off towards its edge; the eraser takes paint away', () => {
    const m = createBitmap(41, 41);
    stamp_(m, 20.5, 20.5, { radius: 20, hardness: 0, value: 255 });
    expect(m.data[20 * 41 + 20]).toBeGreaterThan(240);
    expect(m.data[20 * 41 + 5]).toBeLessThan(m.data[20 * 41 + 15]);
    expect(m.data[0]).toBe(0);
    stamp_(m, 20.5, 20.5, { radius: 3, hardness: 1, value: 0 });
    expect(m.data[20 * 41 + 20]).toBe(0);
  });

  it('fill, invert, and an empty mask has no bounding box', () => {
    const m = createBitmap(4, 4);
    expect(boundingRect(m)).toBeUndefined();
    expect(invert(m).data.every((v) => v === 255)).toBe(true);
    expect(fill(m, 255).data.every((v) => v === 255)).toBe(true);
    expect(m.data.every((v) => v === 0)).toBe(true); // pure: the input is unchanged
  });

  it('feather blurs the edge symmetrically and keeps the mean', () => {
    const m = createBitmap(40, 1);
    m.data.fill(255, 20);
    const f = feather(m, 3);
    expect(f.data[19]).toBeGreaterThan(0);
    expect(f.data[19]).toBeLessThan(255);
    expect(f.data[19] + f.data[20]).toBeGreaterThan(240);
    expect(f.data[19] + f.data[20]).toBeLessThan(270);
    expect(f.data[0]).toBe(0);
    expect(f.data[39]).toBe(255);
    expect(Array.from(feather(m, 0).data)).toEqual(Array.from(m.data));
    expect(() => feather(m, 1.5)).toThrow('feather radius must be a whole number ≥ 0, got 1.5');
  });

  it('resizes a mask of another size to the image size', () => {
    const m = createBitmap(2, 2);
    m.data.set([255, 0, 0, 255]);
    const r = resizeNearest(m, 4, 4);
    expect(Array.from(r.data)).toEqual([255, 255, 0, 0, 255, 255, 0, 0, 0, 0, 255, 255, 0, 0, 255, 255]);
  });
});
