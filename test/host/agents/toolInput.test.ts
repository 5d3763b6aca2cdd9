import { describe, expect, it } from 'vitest';
import { DEFAULT_EDIT_STRENGTH, parseEditImageInput, parseGenerateImageInput, parseUpscaleImageInput, regionMask } from '../../../src/host/agents/toolInput';
import { ToolInputError } from '../../../src/host/agents/toolErrors';

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ToolInputError) return error.field;
    throw error;
  }
  return undefined;
}

describe('atelier_generateImage input', () => {
  it('accepts a prompt and a path, with the optional fields kept as given', () => {
    expect(parseGenerateImageInput({ prompt: 'a red fox', path: 'assets/fox.png' })).toEqual({ prompt: 'a red fox', path: 'assets/fox.png' });
    expect(parseGenerateImageInput({ prompt: 'a red fox', path: 'fox.webp', width: 768, height: 512, seed: 7, negativePrompt: 'blurry' })).toEqual({ prompt: 'a red fox', path: 'fox.webp', width: 768, height: 512, seed: 7, negativePrompt: 'blurry' });
  });

  it('names the field at fault', () => {
    expect(fieldOf(() => parseGenerateImageInput({ path: 'a.png' }))).toBe('prompt');
    expect(fieldOf(() => parseGenerateImageInput({ prompt: '   ', path: 'a.png' }))).toBe('prompt');
    expect(fieldOf(() => parseGenerateImageInput({ prompt: 'x' }))).toBe('path');
    expect(fieldOf(() => parseGenerateImageInput({ prompt: 'x', path: 'a.png', width: '512' }))).toBe('width');
    expect(fieldOf(() => parseGenerateImageInput({ prompt: 'x', path: 'a.png', height: 511.5 }))).toBe('height');
    expect(fieldOf(() => parseGenerateImageInput({ prompt: 'x', path: 'a.png', seed: -0.5 }))).toBe('seed');
    expect(fieldOf(() => parseGenerateImageInput({ prompt: 'x', path: 'a.png', negativePrompt: 3 }))).toBe('negativePrompt');
    expect(fieldOf(() => parseGenerateImageInput({ prompt: 'x', path: 'a.png', style: 'anime' }))).toBe('style');
    expect(fieldOf(() => parseGenerateImageInput('a fox'))).toBe('input');
    expect(fieldOf(() => parseGenerateImageInput(null))).toBe('input');
  });

  it('words the problem with the value and the fix', () => {
    expect(() => parseGenerateImageInput({ prompt: 'x', path: 'a.png', width: '512' })).toThrow(/width must be a whole number of pixels, got "512"/);
    expect(() => parseGenerateImageInput({ prompt: 'x', path: 'a.png', style: 'anime' })).toThrow(/the fields are prompt, path, width/);
  });
});

describe('atelier_editImage and atelier_upscaleImage input', () => {
  it('edit: strength defaults, and is checked as a number', () => {
    expect(parseEditImageInput({ image: 'a.png', prompt: 'at night' })).toEqual({ image: 'a.png', prompt: 'at night', strength: DEFAULT_EDIT_STRENGTH });
    expect(parseEditImageInput({ image: 'a.png', prompt: 'at night', strength: 0.3, path: 'b.png', seed: 3 })).toEqual({ image: 'a.png', prompt: 'at night', strength: 0.3, path: 'b.png', seed: 3 });
    expect(fieldOf(() => parseEditImageInput({ image: 'a.png', prompt: 'x', strength: 'high' }))).toBe('strength');
    expect(fieldOf(() => parseEditImageInput({ prompt: 'x' }))).toBe('image');
    expect(fieldOf(() => parseEditImageInput({ image: 'a.png' }))).toBe('prompt');
  });

  it('upscale: scale 2 by default, only the factors the upscaler has', () => {
    expect(parseUpscaleImageInput({ image: 'a.png' })).toEqual({ image: 'a.png', scale: 2 });
    expect(parseUpscaleImageInput({ image: 'a.png', scale: 4, path: 'big.png' })).toEqual({ image: 'a.png', scale: 4, path: 'big.png' });
    expect(fieldOf(() => parseUpscaleImageInput({ image: 'a.png', scale: 5 }))).toBe('scale');
    expect(fieldOf(() => parseUpscaleImageInput({ image: 'a.png', scale: '2' }))).toBe('scale');
  });
});

describe('atelier_editImage mask and region', () => {
  it('takes a mask path or a region, never both', () => {
    expect(parseEditImageInput({ image: 'a.png', prompt: 'p', mask: 'm.png' })).toMatchObject({ mask: 'm.png' });
    expect(parseEditImageInput({ image: 'a.png', prompt: 'p', region: { x: 0, y: 2, width: 3, height: 4 } })).toMatchObject({ region: { x: 0, y: 2, width: 3, height: 4 } });
    expect(parseEditImageInput({ image: 'a.png', prompt: 'p' })).not.toHaveProperty('region');
    expect(fieldOf(() => parseEditImageInput({ image: 'a.png', prompt: 'p', mask: 'm.png', region: { x: 0, y: 0, width: 1, height: 1 } }))).toBe('region');
    expect(fieldOf(() => parseEditImageInput({ image: 'a.png', prompt: 'p', mask: 3 }))).toBe('mask');
  });

  it('refuses a region that is not four whole numbers in range, naming the part', () => {
    for (const bad of [[1, 2], { x: 0, y: 0, width: 0, height: 1 }, { x: -1, y: 0, width: 1, height: 1 }, { x: 0, y: 0, width: 1.5, height: 1 }, { x: 0, y: 0, width: 1 }, { x: 0, y: 0, width: 1, height: 1, z: 1 }]) {
      expect(fieldOf(() => parseEditImageInput({ image: 'a.png', prompt: 'p', region: bad })), JSON.stringify(bad)).toBe('region');
    }
    expect(() => parseEditImageInput({ image: 'a.png', prompt: 'p', region: { x: 0, y: 0, width: 0, height: 1 } })).toThrow('region.width must be a whole number ≥ 1, got 0');
  });

  it('a region becomes a mask that is 255 exactly inside it and 0 everywhere else', () => {
    const mask = regionMask({ width: 5, height: 4 }, { x: 1, y: 2, width: 3, height: 2 });
    const rows = Array.from({ length: 4 }, (_, y) => Array.from(mask.subarray(y * 5, y * 5 + 5)));
    expect(rows).toEqual([
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 255, 255, 255, 0],
      [0, 255, 255, 255, 0],
    ]);
    expect(Array.from(regionMask({ width: 2, height: 2 }, { x: 0, y: 0, width: 2, height: 2 }))).toEqual([255, 255, 255, 255]);
  });

  it('a region reaching past the image is refused, not clipped', () => {
    expect(() => regionMask({ width: 64, height: 48 }, { x: 60, y: 0, width: 8, height: 8 })).toThrow('region x 60, y 0, 8×8 reaches past the image (64×48); keep x + width ≤ 64 and y + height ≤ 48');
    expect(() => regionMask({ width: 64, height: 48 }, { x: 0, y: 40, width: 8, height: 9 })).toThrow(/reaches past the image/);
    expect(regionMask({ width: 64, height: 48 }, { x: 56, y: 40, width: 8, height: 8 })).toHaveLength(64 * 48);
  });
});
