import { describe, expect, it } from 'vitest';
import { parsePromptAttention } from '../../../src/shared/prompt/attention';
import { chunkCapacity, chunkPrompt, type ChunkOptions } from '../../../src/shared/prompt/chunks';

/** A stand-in tokenizer: one id per word, "," its own token (id 267, as `,</w>` in CLIP). */
const COMMA = 267;
function tokenize(text: string): number[] {
  return text
    .replace(/,/g, ' , ')
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((w) => (w === ',' ? COMMA : 1000 + w.length));
}
const options: ChunkOptions = { chunkLength: 75, commaId: COMMA };
const chunked = (prompt: string, o: ChunkOptions = options) => chunkPrompt(parsePromptAttention(prompt), tokenize, o);
const words = (n: number): string => Array.from({ length: n }, () => 'cat').join(' ');

describe('chunkPrompt (A1111 tokenize_line)', () => {
  it('≤ 75 tokens: one chunk, the count is the token count', () => {
    const r = chunked(words(75));
    expect(r.chunks.map((c) => c.ids.length)).toEqual([75]);
    expect(r.tokenCount).toBe(75);
    expect(chunkCapacity(r, 75)).toBe(75);
  });
  it('82 tokens: two chunks, "82/150"', () => {
    const r = chunked(words(82));
    expect(r.chunks.map((c) => c.ids.length)).toEqual([75, 7]);
    expect([r.tokenCount, chunkCapacity(r, 75)]).toEqual([82, 150]);
  });
  it('an empty prompt is one empty chunk', () => {
    const r = chunked('');
    expect(r.chunks).toEqual([{ ids: [], weights: [] }]);
    expect(r.tokenCount).toBe(0);
  });
  it('BREAK closes the chunk early and counts it as full', () => {
    const r = chunked('a cat BREAK a dog');
    expect(r.chunks.map((c) => c.ids.length)).toEqual([2, 2]);
    expect(r.tokenCount).toBe(77);
    // A trailing BREAK leaves no empty last chunk.
    expect(chunked('a cat BREAK').chunks).toHaveLength(1);
  });
  it('weights follow their tokens', () => {
    const r = chunked('a (red:1.5) [fox]');
    expect(r.chunks[0].weights).toEqual([1, 1.5, 1 / 1.1]);
    expect(r.chunks[0].ids).toEqual(tokenize('a red fox'));
  });
  it('a chunk that fills up with a comma in its last 20 tokens moves the text after the comma on', () => {
    // 70 words, a comma (token 71), then 10 words: token 76 would overflow; the 4 words after the comma move.
    const r = chunked(`${words(70)}, ${words(10)}`);
    expect(r.chunks.map((c) => c.ids.length)).toEqual([71, 10]);
    expect(r.chunks[0].ids.at(-1)).toBe(COMMA);
    expect(r.tokenCount).toBe(85);
  });
  it('no backtrack when the comma is further back than 20 tokens, or when backtracking is off', () => {
    expect(chunked(`${words(50)}, ${words(30)}`).chunks.map((c) => c.ids.length)).toEqual([75, 6]);
    expect(chunked(`${words(70)}, ${words(10)}`, { ...options, commaBacktrack: 0 }).chunks.map((c) => c.ids.length)).toEqual([75, 6]);
  });
});
