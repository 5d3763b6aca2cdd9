/** --out: a folder means "into it", devices are refused, the extension picks the format or is refused. */
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputPathError, resolveOutput, targetOfFile } from '../../../src/host/output/outputTarget';

const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-out-'));
const fallback = { dir: '/somewhere', stem: 'a-fox-42' };

describe('resolving --out', () => {
  it('a trailing slash or an existing folder means "into this folder" (before: some/dir/ wrote some/dir.png)', async () => {
    const dir = temp();
    expect(await resolveOutput(path.join(dir, 'new') + '/', fallback)).toEqual({ dir: path.join(dir, 'new'), stem: 'a-fox-42', ext: '.png' });
    mkdirSync(path.join(dir, 'art'));
    expect(await resolveOutput(path.join(dir, 'art'), fallback)).toEqual({ dir: path.join(dir, 'art'), stem: 'a-fox-42', ext: '.png' });
  });

  it('the extension picks the format; none adds .png; one Atelier does not write is refused', async () => {
    const dir = temp();
    expect(await resolveOutput(path.join(dir, 'hero.JPG'), fallback)).toEqual({ dir, stem: 'hero', ext: '.JPG' });
    expect(await resolveOutput(path.join(dir, 'hero.webp'), fallback)).toMatchObject({ stem: 'hero', ext: '.webp' });
    expect(await resolveOutput(path.join(dir, 'hero'), fallback)).toMatchObject({ stem: 'hero', ext: '.png' });
    await expect(resolveOutput(path.join(dir, 'hero.gif'), fallback)).rejects.toThrow(/cannot write \.gif files; name an image file \(\.png, \.jpg, \.jpeg or \.webp\)/);
    await expect(resolveOutput(path.join(dir, 'hero.v2'), fallback)).rejects.toBeInstanceOf(OutputPathError);
    expect(await resolveOutput(undefined, fallback)).toEqual({ dir: '/somewhere', stem: 'a-fox-42', ext: '.png' });
  });

  it('a device is refused (before: --out /dev/null created /dev/null.png)', async () => {
    await expect(resolveOutput('/dev/null', fallback)).rejects.toThrow('--out /dev/null is a device, pipe or socket, not a file');
    await expect(resolveOutput('', fallback)).rejects.toThrow('--out is empty');
  });

  it('other kinds keep their own extensions (detect: .pose.json / .json)', async () => {
    const dir = temp();
    const json = { extensions: ['.json'], describe: 'a .json file' };
    expect(await resolveOutput(dir, { dir: '/x', stem: 'hero', ext: '.pose.json' }, json)).toEqual({ dir, stem: 'hero', ext: '.pose.json' });
    expect(await resolveOutput(path.join(dir, 'people.json'), { dir: '/x', stem: 'hero', ext: '.pose.json' }, json)).toEqual({ dir, stem: 'people', ext: '.json' });
    await expect(resolveOutput(path.join(dir, 'people.png'), { dir: '/x', stem: 'hero', ext: '.pose.json' }, json)).rejects.toThrow('name a .json file');
  });

  it('a save-dialog file keeps a known extension, else gets .png', () => {
    expect(targetOfFile('/a/b/out.jpeg')).toEqual({ dir: '/a/b', stem: 'out', ext: '.jpeg' });
    expect(targetOfFile('/a/b/out')).toEqual({ dir: '/a/b', stem: 'out', ext: '.png' });
    expect(targetOfFile('/a/b/out.final')).toEqual({ dir: '/a/b', stem: 'out.final', ext: '.png' });
  });
});
