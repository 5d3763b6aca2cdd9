/**
 * The CLI on what users bring: a phone JPEG stored sideways (EXIF orientation 6) of odd size, masks
 * in CMYK, output names that are folders, devices or other formats, and output folders that cannot be
 * written. Real process, real worker, real files.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readParameters } from '../../src/host/output/imageMetadata';
import { parseParameters } from '../../src/host/output/parameters';
import { readTextChunks } from '../../src/host/output/pngText';
import { oracleModel } from '../helpers/fixtures';
import { near, pixelAt, QUADRANTS, rotatedJpeg } from '../helpers/photos';
import { CLI_PATH } from '../helpers/worker';

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_PATH, ...args], { env: { ...process.env, ATELIER_MODEL: '' }, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const DEMO_MODEL = path.resolve('dist/demo-model');
const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-photo-'));

/** A phone photo: stored 131×97 with EXIF orientation 6, so 97×131 upright. */
async function phonePhoto(dir: string): Promise<string> {
  const file = path.join(dir, 'photo.jpg');
  writeFileSync(file, await rotatedJpeg(97, 131, 6));
  return file;
}

/** The photo as every decoder must see it: upright. */
async function upright(file: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(file, { autoOrient: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('a rotated phone JPEG of odd size', () => {
  it('upscale: works (before: "internal error: not a PNG file" after every tile), upright, exactly 2×', async () => {
    const dir = temp();
    const photo = await phonePhoto(dir);
    const r = await cli(['upscale', photo]);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(path.join(dir, 'photo@2x.png'));
    const out = await upright(path.join(dir, 'photo@2x.png'));
    expect([out.width, out.height]).toEqual([194, 262]);
    expect(near(pixelAt(out.data, 194, 5, 5), QUADRANTS.topLeft)).toBe(true);
    expect(near(pixelAt(out.data, 194, 188, 5), QUADRANTS.topRight)).toBe(true);
  });

  it('upscale keeps the generation parameters a JPEG carries in EXIF, and writes JPEG or WebP when --out says so', async () => {
    const dir = temp();
    const made = await cli(['generate', 'a red fox', '--model', oracleModel(), '--width', '64', '--height', '64', '--steps', '2', '--seed', '9', '--out', path.join(dir, 'fox.jpg')]);
    expect(made.code).toBe(0);
    expect(parseParameters(readParameters(readFileSync(path.join(dir, 'fox.jpg'))) ?? '')).toMatchObject({ prompt: 'a red fox', seed: 9 });
    const up = await cli(['upscale', path.join(dir, 'fox.jpg'), '--out', path.join(dir, 'big.webp')]);
    expect(up.code).toBe(0);
    const bytes = readFileSync(path.join(dir, 'big.webp'));
    expect((await sharp(bytes).metadata()).format).toBe('webp');
    expect(parseParameters(readParameters(bytes) ?? '')).toMatchObject({ prompt: 'a red fox', seed: 9 });
  });

  it('generate --init-image: upright, exactly the photo\'s size (before: refused, "not multiples of 8")', async () => {
    const dir = temp();
    const photo = await phonePhoto(dir);
    // The demo model's VAE returns any flat colour exactly at strength 0.
    const r = await cli(['generate', 'a lighthouse', '--model', DEMO_MODEL, '--init-image', photo, '--strength', '0', '--steps', '4', '--out', path.join(dir, 'varied.png')]);
    expect(r.code).toBe(0);
    const out = await upright(path.join(dir, 'varied.png'));
    expect([out.width, out.height]).toEqual([97, 131]);
    // Strength 0 returns the photo through the VAE: every quadrant where it is upright.
    expect(near(pixelAt(out.data, 97, 10, 10), QUADRANTS.topLeft)).toBe(true);
    expect(near(pixelAt(out.data, 97, 90, 10), QUADRANTS.topRight)).toBe(true);
    expect(near(pixelAt(out.data, 97, 10, 120), QUADRANTS.bottomLeft)).toBe(true);
    expect(parseParameters(readTextChunks(readFileSync(path.join(dir, 'varied.png'))).get('parameters') ?? '')).toMatchObject({ width: 97, height: 131 });
  });

  it('inpainting with a CMYK JPEG mask painted on the upright photo: unmasked pixels byte-identical, the masked area repainted', async () => {
    const dir = temp();
    const photo = await phonePhoto(dir);
    const mask = Buffer.alloc(97 * 131);
    for (let y = 70; y < 131; y++) mask.fill(255, y * 97 + 40, y * 97 + 97);
    await sharp(mask, { raw: { width: 97, height: 131, channels: 1 } }).toColourspace('cmyk').jpeg({ quality: 100 }).toFile(path.join(dir, 'mask.jpg'));
    const r = await cli(['generate', 'a lighthouse at dusk', '--model', oracleModel(), '--init-image', photo, '--mask', path.join(dir, 'mask.jpg'), '--steps', '6', '--out', path.join(dir, 'inpainted.png')]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('resized to fit');
    const original = await upright(photo);
    const out = await upright(path.join(dir, 'inpainted.png'));
    const decodedMask = await sharp(path.join(dir, 'mask.jpg')).toColourspace('b-w').raw().toBuffer();
    let changed = 0;
    for (let i = 0; i < 97 * 131; i++) {
      if (decodedMask[i] === 0) for (let c = 0; c < 3; c++) expect(out.data[i * 3 + c]).toBe(original.data[i * 3 + c]);
      else if (decodedMask[i] > 250 && Math.abs(out.data[i * 3] - original.data[i * 3]) > 10) changed += 1;
    }
    expect(changed).toBeGreaterThan(500);
  });

  it('a photo larger than the model\'s budget is generated smaller, with a notice, and comes back at its size; --full-size keeps it', async () => {
    const dir = temp();
    const big = path.join(dir, 'big.jpg');
    await sharp({ create: { width: 901, height: 677, channels: 3, background: '#507090' } }).jpeg().toFile(big);
    const r = await cli(['generate', 'x', '--model', oracleModel(), '--init-image', big, '--strength', '0.3', '--steps', '2', '--out', path.join(dir, 'a.png')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: the init image is 901×677; it was generated at 723×544');
    expect(r.stderr).toContain('--full-size');
    expect((await sharp(path.join(dir, 'a.png')).metadata()).width).toBe(901);
    const full = await cli(['generate', 'x', '--model', oracleModel(), '--init-image', big, '--strength', '0.3', '--steps', '2', '--full-size', '--out', path.join(dir, 'b.png')]);
    expect(full.code).toBe(0);
    expect(full.stderr).not.toContain('it was generated at');
    expect((await sharp(path.join(dir, 'b.png')).metadata()).height).toBe(677);
    const misuse = await cli(['generate', 'x', '--model', oracleModel(), '--full-size']);
    expect(misuse.code).toBe(2);
    expect(misuse.stderr).toContain('--full-size needs --init-image');
  });

  it('an SVG is refused by name before any work', async () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>');
    const r = await cli(['upscale', path.join(dir, 'logo.svg')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cannot use this image: logo.svg is in SVG format; Atelier reads PNG, JPEG and WebP images, and the first frame of GIF, TIFF and AVIF');
    expect(r.stderr).not.toContain('upscaling');
  });
});

describe('--out', () => {
  const gen = (out: string, ...more: string[]): Promise<{ code: number; stdout: string; stderr: string }> => cli(['generate', 'a red fox', '--model', oracleModel(), '--width', '64', '--height', '64', '--steps', '2', '--seed', '5', '--out', out, ...more]);

  it('some/dir/ and an existing folder mean "into that folder" (before: some/dir.png in the parent)', async () => {
    const dir = temp();
    const slash = await gen(path.join(dir, 'some', 'dir') + '/');
    expect(slash.code).toBe(0);
    expect(slash.stdout.trim()).toBe(path.join(dir, 'some', 'dir', 'a-red-fox-5.png'));
    mkdirSync(path.join(dir, 'art'));
    const folder = await gen(path.join(dir, 'art'));
    expect(folder.stdout.trim()).toBe(path.join(dir, 'art', 'a-red-fox-5.png'));
    expect(existsSync(path.join(dir, 'some', 'dir.png'))).toBe(false);
  });

  it('the format follows the extension (before: PNG bytes under .jpg); an unknown one is refused', async () => {
    const dir = temp();
    for (const [name, format] of [['a.jpg', 'jpeg'], ['b.jpeg', 'jpeg'], ['c.webp', 'webp'], ['d.png', 'png']] as const) {
      const r = await gen(path.join(dir, name));
      expect(r.code).toBe(0);
      const bytes = readFileSync(path.join(dir, name));
      expect((await sharp(bytes).metadata()).format).toBe(format);
      expect(parseParameters(readParameters(bytes) ?? '')).toMatchObject({ prompt: 'a red fox', seed: 5, width: 64 });
    }
    const none = await gen(path.join(dir, 'e.jpg'), '--no-metadata');
    expect(readParameters(readFileSync(path.join(dir, 'e.jpg')))).toBeUndefined();
    expect(none.code).toBe(0);
    const gif = await gen(path.join(dir, 'f.gif'));
    expect(gif.code).toBe(2);
    expect(gif.stderr).toContain('Atelier cannot write .gif files');
    expect(readdirSync(dir).sort()).toEqual(['a.jpg', 'b.jpeg', 'c.webp', 'd.png', 'e.jpg']);
  });

  it('a device is refused (before: /dev/null.png was created)', async () => {
    // Compared with what was there before, so another process's leftover cannot fail or pass this.
    const before = statSync('/dev/null.png', { throwIfNoEntry: false })?.mtimeMs;
    const r = await gen('/dev/null');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--out /dev/null is a device, pipe or socket, not a file');
    expect(statSync('/dev/null.png', { throwIfNoEntry: false })?.mtimeMs).toBe(before);
  });

  it('an output folder that cannot be written fails before any step runs (before: after the whole job)', async () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'file'), 'x');
    for (const out of [path.join(dir, 'file', 'x.png'), ...(process.getuid?.() === 0 ? ['/sys/atelier-photo-test/x.png'] : [])]) {
      const r = await gen(out, '--steps', '200');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/Images cannot be saved in .*; nothing was started/);
      expect(r.stderr).not.toMatch(/loading|denoising/);
    }
    const up = await cli(['upscale', await phonePhoto(dir), '--out', path.join(dir, 'file', 'up.png')]);
    expect(up.code).toBe(1);
    expect(up.stderr).not.toContain('upscaling');
  });

  it('upscale: JPEG cannot hold transparency, so an image with alpha to .jpg is refused before the work', async () => {
    const dir = temp();
    const png = path.join(dir, 'icon.png');
    await sharp({ create: { width: 9, height: 7, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 0.5 } } }).png().toFile(png);
    const r = await cli(['upscale', png, '--out', path.join(dir, 'icon.jpg')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('icon.png has transparency, which JPEG cannot hold');
    expect((await cli(['upscale', png, '--out', path.join(dir, 'icon.webp')])).code).toBe(0);
  });
});
