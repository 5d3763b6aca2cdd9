/** Tokenizer files that would give junk ids are refused: empty or malformed merges.txt, merges from another vocabulary. */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClipTokenizer } from '../../../src/pipeline/models/clip/tokenizer';
import { TOKENIZER_ASSETS } from '../../helpers/fixtures';

function tokenizerWith(merges: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-merges-'));
  copyFileSync(path.join(TOKENIZER_ASSETS, 'vocab.json'), path.join(dir, 'vocab.json'));
  writeFileSync(path.join(dir, 'merges.txt'), merges);
  return dir;
}

const real = readFileSync(path.join(TOKENIZER_ASSETS, 'merges.txt'), 'utf8');

describe('merges.txt', () => {
  it.each([
    ['empty', ''],
    ['only the version header', '#version: 0.2\n'],
  ])('%s is refused', async (_, text) => {
    const dir = tokenizerWith(text);
    await expect(loadClipTokenizer(dir)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: `${path.join(dir, 'merges.txt')} holds no merges; a CLIP tokenizer needs its merges.txt (about 48,900 lines)` });
  });

  it('a malformed line is refused with its number', async () => {
    const lines = real.split('\n');
    lines[3] = 'i n t';
    const dir = tokenizerWith(lines.join('\n'));
    await expect(loadClipTokenizer(dir)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('merges.txt line 4 is not a merge (two tokens separated by one space): "i n t"') });
  });

  it('merges that do not belong to the vocabulary are refused', async () => {
    const dir = tokenizerWith('#version: 0.2\nq zzzz\n');
    await expect(loadClipTokenizer(dir)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('line 2 merges "q zzzz" into a token that is not in vocab.json') });
  });

  it('the real file, also with Windows line ends, loads and encodes the same', async () => {
    const unix = await loadClipTokenizer(tokenizerWith(real));
    const windows = await loadClipTokenizer(tokenizerWith(real.replace(/\n/g, '\r\n')));
    expect(windows.encode('a photo of a cat')).toEqual(unix.encode('a photo of a cat'));
    expect(unix.encode('a photo of a cat')).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
  });
});
