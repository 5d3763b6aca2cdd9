import { describe, expect, it } from 'vitest';
import { DEFAULT_EDIT_STRENGTH, parseEditImageInput, parseGenerateImageInput, parseUpscaleImageInput } from '../../../src/host/agents/toolInput';
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
