import { describe, expect, it } from 'vitest';
import { applyEmphasis, padChunks } from '../../../src/pipeline/models/clip/promptEncoding';

describe('applyEmphasis (A1111 "original" emphasis)', () => {
  it('multiplies each token by its weight, then rescales the chunk to its original mean', () => {
    const hidden = Float32Array.from([1, 2, 3, 4]);
    const out = applyEmphasis(hidden, [1, 2], 2);
    // weighted: [1, 2, 6, 8], Σ 17; original Σ 10 → × 10/17
    expect(Array.from(out)).toEqual(Array.from(Float32Array.from([10 / 17, 20 / 17, 60 / 17, 80 / 17])));
    expect(Array.from(hidden)).toEqual([1, 2, 3, 4]);
  });
  it('returns the very same array when every weight is 1 (unweighted prompts stay bit-identical)', () => {
    const hidden = Float32Array.from([1, 2, 3, 4]);
    expect(applyEmphasis(hidden, [1, 1], 2)).toBe(hidden);
  });
  it('refuses weights that do not match the tokens', () => {
    expect(() => applyEmphasis(Float32Array.from([1, 2, 3, 4]), [1, 2, 3], 2)).toThrow(/3 weights for 2 tokens/);
  });
});

describe('padChunks', () => {
  it('appends empty-prompt chunks up to the count and leaves longer prompts alone', () => {
    const prompt = { hidden: Float32Array.from([1, 1, 2, 2]), seqLength: 2, width: 2, chunks: 1 };
    const empty = Float32Array.from([9, 9, 8, 8]);
    const padded = padChunks(prompt, empty, 3);
    expect(Array.from(padded.hidden)).toEqual([1, 1, 2, 2, 9, 9, 8, 8, 9, 9, 8, 8]);
    expect([padded.seqLength, padded.chunks]).toEqual([6, 3]);
    expect(padChunks(prompt, empty, 1)).toBe(prompt);
  });
});
