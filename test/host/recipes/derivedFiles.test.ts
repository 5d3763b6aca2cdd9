import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { deriveFiles, derivedPaths, icoOf } from '../../../src/host/recipes/derivedFiles';
import type { RecipeOutputs } from '../../../src/host/recipes/recipe';

const image = (width: number, height: number): Promise<Buffer> => sharp({ create: { width, height, channels: 4, background: { r: 200, g: 40, b: 40, alpha: 0.5 } } }).png().toBuffer();
const dims = async (bytes: Uint8Array): Promise<[number, number, string]> => {
  const m = await sharp(bytes).metadata();
  return [m.width ?? 0, m.height ?? 0, m.format ?? ''];
};
const file = path.join('/w', 'assets', 'hero.png');

describe('derived files', () => {
  it('@1x/@2x/@3x: the largest is the image itself, the rest scaled down; each format per size', async () => {
    const outputs: RecipeOutputs = { sizes: ['@1x', '@2x', '@3x'], formats: ['png', 'webp', { format: 'jpeg', quality: 70 }] };
    const files = await deriveFiles(await image(96, 48), file, outputs);
    const names = [...files.keys()].map((f) => path.basename(f));
    expect(names).toEqual(['hero@1x.png', 'hero@1x.webp', 'hero@1x.jpg', 'hero@2x.png', 'hero@2x.webp', 'hero@2x.jpg', 'hero@3x.png', 'hero@3x.webp', 'hero@3x.jpg']);
    expect(await dims(files.get(path.join('/w', 'assets', 'hero@1x.png')) as Uint8Array)).toEqual([32, 16, 'png']);
    expect(await dims(files.get(path.join('/w', 'assets', 'hero@2x.webp')) as Uint8Array)).toEqual([64, 32, 'webp']);
    expect(await dims(files.get(path.join('/w', 'assets', 'hero@3x.jpg')) as Uint8Array)).toEqual([96, 48, 'jpeg']);
    expect(derivedPaths(file, outputs).map((f) => path.basename(f))).toEqual(names);
  });

  it('widths; a width above the image is refused rather than enlarged', async () => {
    const files = await deriveFiles(await image(64, 32), file, { sizes: [16, 64], formats: ['avif'] });
    expect(await dims(files.get(path.join('/w', 'assets', 'hero-16w.avif')) as Uint8Array)).toEqual([16, 8, 'heif']);
    await expect(deriveFiles(await image(64, 32), file, { sizes: [128] })).rejects.toThrow('$.outputs.sizes[0] asks for 128 px, wider than the image (64 px)');
  });

  it('formats alone: the image in other formats, never a copy of itself', async () => {
    const files = await deriveFiles(await image(32, 32), file, { formats: ['png', 'webp'] });
    expect([...files.keys()]).toEqual([path.join('/w', 'assets', 'hero.webp')]);
    expect((await deriveFiles(await image(32, 32), file, {})).size).toBe(0);
    expect((await deriveFiles(await image(32, 32), file, undefined)).size).toBe(0);
  });

  it('an icon set: PNGs 16–512, an opaque 180 px apple-touch-icon, a favicon.ico with 16/32/48', async () => {
    const files = await deriveFiles(await image(100, 50), file, { icons: true }, 4);
    const icons = path.join('/w', 'assets', 'hero-icons');
    expect(await dims(files.get(path.join(icons, 'icon-512.png')) as Uint8Array)).toEqual([512, 512, 'png']);
    expect(await dims(files.get(path.join(icons, 'icon-16.png')) as Uint8Array)).toEqual([16, 16, 'png']);
    const touch = await sharp(files.get(path.join(icons, 'apple-touch-icon.png')) as Uint8Array).metadata();
    expect([touch.width, touch.height, touch.hasAlpha]).toEqual([180, 180, false]);
    const ico = Buffer.from(files.get(path.join(icons, 'favicon.ico')) as Uint8Array);
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)]).toEqual([0, 1, 3]);
    expect([ico[6], ico[22], ico[38]]).toEqual([16, 32, 48]);
    // Each entry points at a PNG.
    const offset = ico.readUInt32LE(6 + 12);
    expect(ico.subarray(offset, offset + 4).toString('latin1')).toBe('\x89PNG');
    expect(derivedPaths(file, { icons: true })).toHaveLength(10);
  });

  it('an ICO entry of 256 px is written as 0, as the format says', () => {
    const ico = Buffer.from(icoOf([{ size: 256, bytes: new Uint8Array([1, 2]) }]));
    expect([ico[6], ico[7], ico.readUInt32LE(14), ico.readUInt32LE(18)]).toEqual([0, 0, 2, 22]);
  });
});
