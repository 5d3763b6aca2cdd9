import { describe, expect, it } from 'vitest';
import { clipRect, copyRect, pasteRect, rectInside, unionRect } from '../../../src/shared/canvas/rect';

describe('bitmap rectangles', () => {
  it('copy then paste of a rectangle round-trips, and paste touches nothing outside it', () => {
    const bitmap = Uint8Array.from({ length: 20 * 10 }, (_, i) => i % 251);
    const rect = { x: 3, y: 2, width: 5, height: 4 };
    const patch = copyRect(bitmap, 20, rect);
    expect(patch.length).toBe(20);
    expect(patch[0]).toBe(bitmap[2 * 20 + 3]);
    const blank = new Uint8Array(200);
    pasteRect(blank, 20, rect, patch);
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 20; x++) {
        const inside = x >= 3 && x < 8 && y >= 2 && y < 6;
        expect(blank[y * 20 + x]).toBe(inside ? bitmap[y * 20 + x] : 0);
      }
    }
  });

  it('union, clip and the inside check', () => {
    expect(unionRect(undefined, { x: 1, y: 1, width: 2, height: 2 })).toEqual({ x: 1, y: 1, width: 2, height: 2 });
    expect(unionRect({ x: 0, y: 0, width: 2, height: 2 }, { x: 5, y: 1, width: 1, height: 4 })).toEqual({ x: 0, y: 0, width: 6, height: 5 });
    expect(clipRect({ x: -3, y: 8, width: 6, height: 6 }, 10, 10)).toEqual({ x: 0, y: 8, width: 3, height: 2 });
    expect(clipRect({ x: 10, y: 0, width: 2, height: 2 }, 10, 10)).toBeUndefined();
    expect(rectInside({ x: 0, y: 0, width: 10, height: 10 }, 10, 10)).toBe(true);
    expect(rectInside({ x: 1, y: 0, width: 10, height: 10 }, 10, 10)).toBe(false);
    expect(rectInside({ x: 0.5, y: 0, width: 1, height: 1 }, 10, 10)).toBe(false);
    expect(rectInside({ x: 0, y: 0, width: 0, height: 1 }, 10, 10)).toBe(false);
  });
});
