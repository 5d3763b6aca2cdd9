/** Tiled upscaling: the tile plan, the blend weights, tiled = untiled, and bad input. */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type Session } from '../../../src/pipeline/backends/onnx';
import { packageRoot } from '../../../src/build/builtinPackages';
import { blendWeight, planTiles } from '../../../src/pipeline/upscale/tiling';
import { upscaleImage } from '../../../src/pipeline/upscale/upscaleImage';
import { findUpscaler } from '../../../src/pipeline/upscale/upscalers';
import { quietLog } from '../../helpers/fixtures';

let slim2: Session;
const RADIUS = findUpscaler(path.resolve('dist/upscalers'), 'slim', 2).info.receptiveRadius;
const fixture = new Uint8Array(readFileSync(path.join(packageRoot('@upscalerjs/esrgan-slim'), 'assets', 'fixture.png')));
beforeAll(async () => {
  slim2 = await openSession(findUpscaler(path.resolve('dist/upscalers'), 'slim', 2).file, { preference: 'cpu', stats: { runs: 0, runMs: 0 }, log: quietLog });
});
afterAll(async () => slim2.release());

describe('tile plan', () => {
  it('cuts into near-equal cores, adds clipped margins and blend bands', () => {
    const rows = planTiles(100, 40, { core: 32, margin: 8, blend: 4 });
    expect(rows.map((r) => r.map((t) => [t.x0, t.x1]))[0]).toEqual([[0, 25], [25, 50], [50, 75], [75, 100]]);
    expect(rows.map((r) => [r[0].y0, r[0].y1])).toEqual([[0, 20], [20, 40]]);
    expect(rows[0][1]).toMatchObject({ inX0: 17, inX1: 58, outX0: 21, outX1: 54, inY0: 0, outY0: 0, inY1: 28, outY1: 24 });
    expect(planTiles(30, 30, { core: 64, margin: 8, blend: 4 })).toEqual([[{ x0: 0, y0: 0, x1: 30, y1: 30, inX0: 0, inY0: 0, inX1: 30, inY1: 30, outX0: 0, outY0: 0, outX1: 30, outY1: 30 }]]);
  });

  it('neighbouring weights sum to 1 across the band, and are 1 inside the core', () => {
    const scale = 2;
    // Tile A core [0, 25) out [0, 29); tile B core [25, 50) out [21, 54).
    for (let p = 0; p < 90; p++) {
      const a = p < 58 ? blendWeight(p, 0, 25, 0, 29, scale) : 0;
      const b = p >= 42 ? blendWeight(p, 25, 50, 21, 54, scale) : 0;
      if (p < 42) expect(a).toBe(1);
      else expect(a + b).toBeCloseTo(1, 10);
    }
    expect(blendWeight(43, 0, 25, 0, 29, scale)).toBeGreaterThan(blendWeight(55, 0, 25, 0, 29, scale));
  });
});

describe('tiled upscaling', () => {
  it('16 tiles agree with one tile within 1/255 everywhere (the margin covers the receptive field)', async () => {
    expect(RADIUS).toBeGreaterThan(5);
    const whole = await upscaleImage(slim2, { image: fixture, scale: 2, model: 'slim', executionProvider: 'cpu', tileCore: 256 }, RADIUS);
    const tiled = await upscaleImage(slim2, { image: fixture, scale: 2, model: 'slim', executionProvider: 'cpu', tileCore: 32 }, RADIUS);
    // The 128² fixture is grown by its context margin on every side before tiling: 5×5 cores of 32.
    expect([whole.tiles, tiled.tiles]).toEqual([1, 25]);
    const [a, b] = await Promise.all([whole.png, tiled.png].map((p) => sharp(p).raw().toBuffer()));
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('keeps transparency: the alpha channel is resized alongside', async () => {
    expect((await sharp(fixture).metadata()).hasAlpha).toBe(true);
    const out = await upscaleImage(slim2, { image: fixture, scale: 2, model: 'slim', executionProvider: 'cpu' }, RADIUS);
    expect(out.hasAlpha).toBe(true);
    const meta = await sharp(out.png).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([256, 256, 4]);
    const semi = new Uint8Array(16 * 16 * 4).map((_, i) => (i % 4 === 3 ? (i < 512 ? 0 : 255) : 128));
    const png = new Uint8Array(await sharp(Buffer.from(semi), { raw: { width: 16, height: 16, channels: 4 } }).png().toBuffer());
    const alphaOut = await sharp((await upscaleImage(slim2, { image: png, scale: 2, model: 'slim', executionProvider: 'cpu' }, RADIUS)).png).extractChannel(3).raw().toBuffer();
    expect([alphaOut[0], alphaOut[alphaOut.length - 1]]).toEqual([0, 255]);
  });
});

/** A two-frame 1×1 animated GIF, written byte by byte (sharp cannot write one from raw pixels). */
function twoFrameGif(): Uint8Array {
  const frame = [0x21, 0xf9, 0x04, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00];
  const loop = [0x21, 0xff, 0x0b, ...new TextEncoder().encode('NETSCAPE2.0'), 0x03, 0x01, 0x00, 0x00, 0x00];
  return Uint8Array.from([...new TextEncoder().encode('GIF89a'), 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255, ...loop, ...frame, ...frame, 0x3b]);
}

describe('bad input is refused with the reason', () => {
  const run = (image: Uint8Array, scale: 2 | 4 = 2) => upscaleImage(slim2, { image, scale, model: 'slim', executionProvider: 'cpu' }, RADIUS);

  it.each([
    [1, 1],
    [2, 2],
    [4, 4],
    [15, 15],
    [7, 3],
    [5, 9],
    [64, 64],
  ])('a flat %i×%i image upscales to the same colour everywhere, borders and corners included', async (w, h) => {
    // Before: the network saw zeros beyond the border; a 1×1 (200,100,50) came out (1,2,2), and every
    // image's corners darkened (to (124,76,45) here).
    const flat = new Uint8Array(await sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 100, b: 50 } } }).png().toBuffer());
    const out = await run(flat);
    expect([out.width, out.height]).toEqual([2 * w, 2 * h]);
    const rgb = await sharp(out.png).raw().toBuffer();
    let worst = 0;
    for (let i = 0; i < rgb.length; i += 3) worst = Math.max(worst, Math.abs(rgb[i] - 200), Math.abs(rgb[i + 1] - 100), Math.abs(rgb[i + 2] - 50));
    expect(worst).toBeLessThanOrEqual(3);
  });

  it('an animated GIF: its first frame, with a notice (as generate, detect and the canvas do)', async () => {
    // Before: upscale alone refused animations ("animated (2 frames)") while the canvas took the first frame.
    const warnings: string[] = [];
    const out = await upscaleImage(slim2, { image: twoFrameGif(), scale: 2, model: 'slim', executionProvider: 'cpu' }, RADIUS, { onWarning: (m) => warnings.push(m) });
    expect([out.width, out.height]).toEqual([2, 2]);
    expect(warnings).toEqual(['the image has 2 frames; the first was used']);
  });

  it('16-bit, CMYK, unreadable and too large images', async () => {
    const sixteen = new Uint8Array(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).toColourspace('rgb16').png().toBuffer());
    await expect(run(sixteen)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('16-bit image') });
    const cmyk = new Uint8Array(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).toColourspace('cmyk').jpeg().toBuffer());
    await expect(run(cmyk)).rejects.toMatchObject({ message: expect.stringContaining('CMYK') });
    await expect(run(new TextEncoder().encode('not an image'))).rejects.toMatchObject({ message: expect.stringContaining('the image is not a readable image') });
    const big = new Uint8Array(await sharp({ create: { width: 4096, height: 4097, channels: 3, background: '#000' } }).png({ compressionLevel: 1 }).toBuffer());
    await expect(run(big)).rejects.toMatchObject({ message: expect.stringContaining('is 4096×4097 (16.8 Mpx), above the 16.8 Mpx limit') });
    const large = new Uint8Array(await sharp({ create: { width: 2560, height: 2560, channels: 3, background: '#000' } }).png({ compressionLevel: 1 }).toBuffer());
    await expect(run(large, 4)).rejects.toMatchObject({ argument: 'scale', message: expect.stringContaining('gives 10240×10240, more than the 67108864-pixel limit') });
    await expect(upscaleImage(slim2, { image: fixture, scale: 5 as 2, model: 'slim', executionProvider: 'cpu' }, RADIUS)).rejects.toMatchObject({ argument: 'scale' });
  });
});
