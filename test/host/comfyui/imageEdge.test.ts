import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodePreview, decodeResult, encodeUpload } from '../../../src/host/comfyui/imageEdge';
import type { RawImage } from '../../../src/host/comfyui/workflowInput';
import { PipelineError } from '../../../src/shared/errors';

function gradient(width: number, height: number, channels: 1 | 3): RawImage {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < width * height; i++) for (let c = 0; c < channels; c++) data[i * channels + c] = (i % width) + c * 10;
  return { width, height, channels, data };
}

describe('images at the network edge', () => {
  it('uploads losslessly: stored on loopback, compressed over a network; a mask stays one grey channel', async () => {
    const image = gradient(256, 128, 3);
    const stored = await encodeUpload(image, true);
    const packed = await encodeUpload(image, false);
    expect(stored.length).toBeGreaterThan(image.data.length);
    expect(packed.length).toBeLessThan(image.data.length / 5);
    for (const png of [stored, packed]) expect(new Uint8Array(await sharp(png).raw().toBuffer())).toEqual(image.data);
    const mask = await encodeUpload(gradient(64, 32, 1), false);
    expect((await sharp(mask).metadata()).channels).toBe(1);
  });

  it('decodes a result of the asked size to RGB, and refuses other sizes before decoding', async () => {
    const rgba = await sharp(Buffer.alloc(32 * 16 * 4, 200), { raw: { width: 32, height: 16, channels: 4 } }).png().toBuffer();
    const decoded = await decodeResult(rgba, { exactly: { width: 32, height: 16 } }, 'ComfyUI at h:1');
    expect(decoded).toMatchObject({ width: 32, height: 16, channels: 3 });
    expect(decoded.data).toHaveLength(32 * 16 * 3);
    await expect(decodeResult(rgba, { exactly: { width: 16, height: 16 } }, 'ComfyUI at h:1')).rejects.toThrow('ComfyUI at h:1 sent a 32×16 image where 16×16 was asked for');
    expect((await decodeResult(rgba, { multipleOf: { width: 8, height: 4 }, maxPixels: 1e6 }, 'h')).width).toBe(32);
    await expect(decodeResult(rgba, { multipleOf: { width: 8, height: 8 }, maxPixels: 1e6 }, 'h')).rejects.toThrow('not a whole multiple of the 8×8 input');
    await expect(decodeResult(rgba, { multipleOf: { width: 8, height: 4 }, maxPixels: 100 }, 'h')).rejects.toThrow('above the 0.0 Mpx accepted');
    const png16 = await sharp(Buffer.alloc(32 * 16 * 3, 200), { raw: { width: 32, height: 16, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
    const from16 = await decodeResult(png16, { exactly: { width: 32, height: 16 } }, 'h');
    expect(from16.data).toHaveLength(32 * 16 * 3);
    expect(from16.data[0]).toBe(200);
    const jpeg = await sharp(Buffer.alloc(32 * 16 * 3, 90), { raw: { width: 32, height: 16, channels: 3 } }).jpeg().toBuffer();
    expect((await decodeResult(jpeg, { exactly: { width: 32, height: 16 } }, 'h')).channels).toBe(3);
    const error = await decodeResult(new TextEncoder().encode('GIF89a……'), { exactly: { width: 1, height: 1 } }, 'h').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe('BACKEND_INCOMPATIBLE');
  });

  it('previews: small JPEGs decode to RGB; junk and oversized frames are skipped, not fatal', async () => {
    const jpeg = await sharp(Buffer.alloc(8 * 6 * 3, 30), { raw: { width: 8, height: 6, channels: 3 } }).jpeg().toBuffer();
    expect(await decodePreview(jpeg)).toMatchObject({ width: 8, height: 6 });
    expect(await decodePreview(new Uint8Array([1, 2, 3]))).toBeUndefined();
    expect(await decodePreview(jpeg.subarray(0, 20))).toBeUndefined();
    const big = await sharp({ create: { width: 4096, height: 2048, channels: 3, background: '#000' } }).jpeg().toBuffer();
    expect(await decodePreview(big)).toBeUndefined();
  });
});
