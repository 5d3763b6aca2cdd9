import { existsSync } from 'node:fs';
import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClipTokenizer } from '../../../src/pipeline/models/clip/tokenizer';
import { SHARED_TOKENIZER, TOKENIZER_ASSETS } from '../../helpers/fixtures';

// The real CLIP vocabulary from ../shared (CI has it); the vendored copy must be identical in behaviour.
const sources = [SHARED_TOKENIZER, TOKENIZER_ASSETS].filter((dir) => existsSync(path.join(dir, 'vocab.json')));

describe.each(sources)('CLIP tokenizer (%s)', (dir) => {
  const golden: Array<[string, number[]]> = [
    ['', [49406, 49407]],
    ['a photo of a cat', [49406, 320, 1125, 539, 320, 2368, 49407]],
    ['a photo of a dog', [49406, 320, 1125, 539, 320, 1929, 49407]],
    ['Hello, world!', [49406, 3306, 267, 1002, 256, 49407]],
    ['A PHOTO of  a Cat!', [49406, 320, 1125, 539, 320, 2368, 256, 49407]],
    ['  a   photo of a cat ', [49406, 320, 1125, 539, 320, 2368, 49407]],
    ['A painting of a squirrel eating a burger', [49406, 320, 3086, 539, 320, 14004, 4371, 320, 6548, 49407]],
  ];
  it.each(golden)('%j → golden ids', async (text, ids) => {
    const tokenizer = await loadClipTokenizer(dir);
    expect(tokenizer.encode(text)).toEqual(ids);
  });

  it('digits are single tokens ("42" is two ids)', async () => {
    const tokenizer = await loadClipTokenizer(dir);
    expect(tokenizer.encode('42')).toHaveLength(4);
  });

  it('pads SD 1.x prompts to 77 with EOS and reports nothing dropped', async () => {
    const tokenizer = await loadClipTokenizer(dir);
    const { ids, droppedTokens } = tokenizer.encodePadded('a photo of a cat');
    expect(ids).toHaveLength(77);
    expect(ids.slice(0, 7)).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(ids.slice(7).every((id) => id === 49407)).toBe(true);
    expect(droppedTokens).toBe(0);
  });

  it('truncates to BOS + 75 + EOS and counts the dropped tokens', async () => {
    const tokenizer = await loadClipTokenizer(dir);
    const { ids, droppedTokens } = tokenizer.encodePadded(Array.from({ length: 80 }, () => 'cat').join(' '));
    expect(ids).toHaveLength(77);
    expect(ids[0]).toBe(49406);
    expect(ids[76]).toBe(49407);
    expect(droppedTokens).toBe(5);
  });
});

describe('pad token per tokenizer config', () => {
  it('SD 2.x pads with "!" (id 0) from special_tokens_map.json', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-tok-'));
    copyFileSync(path.join(TOKENIZER_ASSETS, 'vocab.json'), path.join(dir, 'vocab.json'));
    copyFileSync(path.join(TOKENIZER_ASSETS, 'merges.txt'), path.join(dir, 'merges.txt'));
    writeFileSync(path.join(dir, 'special_tokens_map.json'), JSON.stringify({ pad_token: '!' }));
    writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ pad_token: '<|endoftext|>', model_max_length: 77 }));
    const tokenizer = await loadClipTokenizer(dir);
    expect(tokenizer.padId).toBe(0);
    expect(tokenizer.encodePadded('a photo of a cat').ids.slice(7).every((id) => id === 0)).toBe(true);
  });

  it('a folder without vocab.json is a MODEL_MISSING_FILE naming the file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-tok-'));
    await expect(loadClipTokenizer(dir)).rejects.toMatchObject({ code: 'MODEL_MISSING_FILE', message: expect.stringContaining('vocab.json') });
  });
});
