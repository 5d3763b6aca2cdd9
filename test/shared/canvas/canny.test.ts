import { describe, expect, it } from 'vitest';
import { canny, luminance } from '../../../src/shared/canvas/canny';

/** A 64×64 image: a bright square from (16,16) to (47,47) on black. */
function square(): Float32Array {
  const g = new Float32Array(64 * 64);
  for (let y = 16; y < 48; y++) for (let x = 16; x < 48; x++) g[y * 64 + x] = 200;
  return g;
}

describe('canny', () => {
  it('finds the square\'s outline and nothing inside or outside it', () => {
    const e = canny(square(), 64, 64, { low: 100, high: 200 });
    const isEdge = (x: number, y: number): boolean => e[y * 64 + x] === 255;
    for (let y = 20; y < 44; y++) {
      expect(isEdge(15, y) || isEdge(16, y)).toBe(true);
      expect(isEdge(47, y) || isEdge(48, y)).toBe(true);
    }
    for (let x = 20; x < 44; x++) expect(isEdge(x, 15) || isEdge(x, 16)).toBe(true);
    expect(isEdge(32, 32)).toBe(false);
    expect(isEdge(4, 4)).toBe(false);
    // Thin edges: at most two pixels across the boundary.
    for (let y = 20; y < 44; y++) expect([14, 15, 16, 17].filter((x) => isEdge(x, y)).length).toBeLessThanOrEqual(2);
  });

  it('thresholds matter: a faint square disappears above its contrast, a flat image has no edges', () => {
    const faint = square().map((v) => v / 20);
    expect(canny(faint, 64, 64, { low: 100, high: 200 }).some((v) => v > 0)).toBe(false);
    expect(canny(faint, 64, 64, { low: 5, high: 10 }).some((v) => v > 0)).toBe(true);
    expect(canny(new Float32Array(64 * 64).fill(128), 64, 64, { low: 1, high: 2 }).some((v) => v > 0)).toBe(false);
    expect(() => canny(faint, 64, 64, { low: 10, high: 5 })).toThrow('0 ≤ low ≤ high');
  });

  it('luminance weights RGB like Rec. 601', () => {
    expect(Array.from(luminance(new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255]), 2, 1, 4)).map((v) => Math.round(v))).toEqual([76, 150]);
  });
});
