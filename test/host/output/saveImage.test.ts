import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkWritableFolder, promptSlug, saveNewFile } from '../../../src/host/output/saveImage';

const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-save-'));

describe('saving without overwriting', () => {
  it('creates the folder and writes the exact bytes, leaving no temp file', async () => {
    const dir = path.join(temp(), 'assets', 'generated');
    const file = await saveNewFile(dir, 'cat-1', '.png', new Uint8Array([1, 2, 3]));
    expect(file).toBe(path.join(dir, 'cat-1.png'));
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['cat-1.png']);
  });

  it('an existing file gets a new name and stays untouched', async () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'cat.png'), 'original');
    const first = await saveNewFile(dir, 'cat', '.png', new Uint8Array([9]));
    const second = await saveNewFile(dir, 'cat', '.png', new Uint8Array([8]));
    expect([path.basename(first), path.basename(second)]).toEqual(['cat-1.png', 'cat-2.png']);
    expect(readFileSync(path.join(dir, 'cat.png'), 'utf8')).toBe('original');
    expect(readdirSync(dir).sort()).toEqual(['cat-1.png', 'cat-2.png', 'cat.png']);
  });

  it('concurrent saves of the same name never collide', async () => {
    const dir = temp();
    const files = await Promise.all(Array.from({ length: 8 }, (_, i) => saveNewFile(dir, 'x', '.png', new Uint8Array([i]))));
    expect(new Set(files).size).toBe(8);
    files.forEach((f, i) => expect([...readFileSync(f)]).toEqual([i]));
  });

  it('an unwritable folder is a clear OUTPUT_FAILED error', async () => {
    let dir: string;
    if (process.getuid?.() === 0) {
      dir = '/sys/atelier-test-output'; // root ignores permission bits; /sys refuses everyone
    } else {
      dir = temp();
      chmodSync(dir, 0o555);
    }
    await expect(saveNewFile(dir, 'x', '.png', new Uint8Array([1]))).rejects.toMatchObject({ code: 'OUTPUT_FAILED', message: expect.stringContaining('not writable') });
  });

  it('a file in the way of the folder is named as such', async () => {
    const file = path.join(temp(), 'plain.txt');
    writeFileSync(file, 'x');
    await expect(saveNewFile(path.join(file, 'sub'), 'x', '.png', new Uint8Array([1]))).rejects.toMatchObject({ code: 'OUTPUT_FAILED', message: expect.stringContaining('a file is in the way') });
  });

  it('slugs prompts safely', () => {
    expect(promptSlug('A Café at Night!! / ../etc/passwd')).toBe('a-cafe-at-night-etc-passwd');
    expect(promptSlug('猫')).toBe('image');
    expect(promptSlug('x'.repeat(100))).toHaveLength(48);
  });

  it('the output folder is checked (created, probed, left clean) before any work', async () => {
    const dir = path.join(temp(), 'new', 'folder');
    await checkWritableFolder(dir);
    expect(readdirSync(dir)).toEqual([]);
    const file = path.join(temp(), 'plain.txt');
    writeFileSync(file, 'x');
    await expect(checkWritableFolder(path.join(file, 'sub'))).rejects.toMatchObject({ code: 'OUTPUT_FAILED', message: expect.stringMatching(/a file is in the way of the folder; nothing was started$/) });
    const unwritable = process.getuid?.() === 0 ? '/sys/atelier-test-output' : temp();
    if (process.getuid?.() !== 0) chmodSync(unwritable, 0o555);
    await expect(checkWritableFolder(unwritable)).rejects.toMatchObject({ code: 'OUTPUT_FAILED', message: expect.stringContaining('nothing was started') });
  });
});
