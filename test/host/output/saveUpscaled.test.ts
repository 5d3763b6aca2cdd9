import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readParameters } from '../../../src/host/output/imageMetadata';
import { insertITxt, readTextChunks } from '../../../src/host/output/pngText';
import { upscaledBytes } from '../../../src/host/output/saveUpscaled';
import { withParameters } from '../../../src/host/output/imageMetadata';

const PARAMETERS = 'a red fox\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 4x4, Model: m';

describe('upscaled image metadata', () => {
  const upscaled = async (): Promise<{ png: Uint8Array; scale: 4; upscaler: string; source: string; width: number; height: number }> => ({
    png: new Uint8Array(await sharp({ create: { width: 4, height: 4, channels: 3, background: '#123456' } }).png().toBuffer()),
    scale: 4,
    upscaler: 'ESRGAN medium 4×',
    source: '@upscalerjs/esrgan-medium@1.0.0 (MIT)',
    width: 4,
    height: 4,
  });

  it('keeps the source generation parameters and adds the upscaler; none when metadata is off', async () => {
    const result = await upscaled();
    const source = insertITxt(result.png, 'parameters', PARAMETERS);
    const chunks = readTextChunks(await upscaledBytes(source, result, '.png', true));
    expect(chunks.get('parameters')).toContain('a red fox');
    expect(chunks.get('postprocessing')).toBe('Postprocess upscale by: 4, Postprocess upscaler: "ESRGAN medium 4× (@upscalerjs/esrgan-medium@1.0.0 (MIT))"');
    expect(readTextChunks(await upscaledBytes(source, result, '.png', false)).size).toBe(0);
  });

  it('a JPEG or WebP source: its EXIF parameters are kept (before: "not a PNG file" after every tile ran)', async () => {
    const result = await upscaled();
    for (const format of ['jpeg', 'webp'] as const) {
      const plain = new Uint8Array(await sharp({ create: { width: 4, height: 4, channels: 3, background: '#654321' } }).toFormat(format).toBuffer());
      const source = withParameters(plain, PARAMETERS, { width: 4, height: 4 });
      expect(readParameters(await upscaledBytes(source, result, '.png', true))).toBe(PARAMETERS);
      expect(readParameters(await upscaledBytes(source, result, format === 'jpeg' ? '.jpg' : '.webp', true))).toBe(PARAMETERS);
      // A photo without parameters upscales without any.
      expect(readParameters(await upscaledBytes(plain, result, '.webp', true))).toBeUndefined();
    }
  });
});
