import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { insertITxt, readTextChunks } from '../../../src/extension/output/pngText';
import { upscaledPngBytes } from '../../../src/extension/output/saveUpscaled';

describe('upscaled PNG metadata', () => {
  it('keeps the source generation parameters and adds the upscaler; none when metadata is off', async () => {
    const plain = new Uint8Array(await sharp({ create: { width: 4, height: 4, channels: 3, background: '#123456' } }).png().toBuffer());
    const source = insertITxt(plain, 'parameters', 'a red fox\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 4x4, Model: m');
    const result = { png: plain, scale: 4 as const, upscaler: 'ESRGAN medium 4×', source: '@upscalerjs/esrgan-medium@1.0.0 (MIT)' };
    const chunks = readTextChunks(upscaledPngBytes(source, result, true));
    expect(chunks.get('parameters')).toContain('a red fox');
    expect(chunks.get('postprocessing')).toBe('Postprocess upscale by: 4, Postprocess upscaler: "ESRGAN medium 4× (@upscalerjs/esrgan-medium@1.0.0 (MIT))"');
    expect(readTextChunks(upscaledPngBytes(source, result, false)).size).toBe(0);
  });
});
