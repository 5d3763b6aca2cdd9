/**
 * A real SD UNet export halves the latents three times and concatenates the skips on the way back up,
 * so latents that are not multiples of 8 fail in onnxruntime's Concat. The tiny-random UNet built with
 * the same three levels fails the same way when run directly; every pipeline (txt2img, with a
 * ControlNet, img2img, inpaint, "only masked") must still give exactly the requested size.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, decodeMask } from '../../../src/pipeline/ops/decodeImage';
import { img2img } from '../../../src/pipeline/pipelines/img2img';
import { inpaint } from '../../../src/pipeline/pipelines/inpaint';
import { txt2img } from '../../../src/pipeline/pipelines/txt2img';
import { loadModel, type LoadedModel } from '../../../src/pipeline/runtime/loadedModel';
import type { ControlInput, Txt2ImgRequest } from '../../../src/shared/request';
import { writeControlNetFolder } from '../../fixtures/onnx/modelFolder';
import { quietLog, tinyModel } from '../../helpers/fixtures';
import { blockImage, pngOf, rectMask, unmaskedExact } from '../../helpers/images';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'atelier-real-unet-'));

function request(modelDir: string, width: number, height: number, controls?: ControlInput[]): Txt2ImgRequest {
  return {
    kind: 'txt2img',
    modelDir,
    prompt: 'a lighthouse at dusk',
    negativePrompt: '',
    width,
    height,
    sampling: { sampler: 'euler', steps: 2, guidanceScale: 1, seed: 11 },
    previewEvery: 0,
    executionProvider: 'cpu',
    controls,
  };
}

describe('a UNet with the real export\'s three downsamplings', () => {
  let model: LoadedModel;
  let control: LoadedModel;
  let inpainting: LoadedModel;
  beforeAll(async () => {
    model = await loadModel(tinyModel({ unetLevels: 3, vaeEncoder: 'latent_sample' }), 'cpu', quietLog);
    control = await loadModel(tinyModel({ unetLevels: 3, control: 'separate' }), 'cpu', quietLog);
    inpainting = await loadModel(tinyModel({ unetLevels: 3, inpainting: true, vaeEncoder: 'latent_sample' }), 'cpu', quietLog);
  });
  afterAll(async () => {
    await model.release();
    await control.release();
    await inpainting.release();
  });

  it('fails in onnxruntime\'s Concat when its latents are not multiples of 8 (the fixture is authentic)', async () => {
    const run = (side: number): Promise<unknown> =>
      model.unet.predict({ sample: new Float32Array(4 * side * side), batch: 1, height: side, width: side, timestep: 500, encoderHiddenStates: new Float32Array(77 * 32), seqLength: 77 });
    await expect(run(9)).rejects.toThrow(/Concat/);
    await expect(run(8)).resolves.toBeDefined();
  });

  it.each([
    [520, 400],
    [528, 400],
    [72, 64],
    [64, 64],
  ])('txt2img at %i×%i gives exactly that size, padded to multiples of 64 and cropped, and says so', async (width, height) => {
    const out = await txt2img(model, request(model.folder.dir, width, height));
    expect([out.width, out.height, out.image.length]).toEqual([width, height, 3 * width * height]);
    expect(out.image.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
    if (width % 64 === 0 && height % 64 === 0) expect(out.warnings).toEqual([]);
    else expect(out.warnings.join('\n')).toMatch(new RegExp(`${width}×${height} was generated at ${Math.ceil(width / 64) * 64}×${Math.ceil(height / 64) * 64}`));
  });

  it('the crop is the centre of the padded generation, so a 64-multiple frame gives the same picture', async () => {
    const big = await txt2img(model, request(model.folder.dir, 576, 448));
    const cropped = await txt2img(model, request(model.folder.dir, 520, 400));
    const [left, top] = [24, 24];
    for (const [x, y] of [[0, 0], [519, 399], [260, 200]]) {
      for (let c = 0; c < 3; c++) expect(cropped.image[c * 520 * 400 + y * 520 + x]).toBeCloseTo(big.image[c * 576 * 448 + (y + top) * 576 + x + left], 5);
    }
  });

  it('txt2img with a separate ControlNet at 520×400', async () => {
    const net = writeControlNetFolder(path.join(scratch, 'OpenPose'), { family: 'tiny-random' });
    const image = await pngOf(blockImage(520, 400, 3), 520, 400);
    const out = await txt2img(control, request(control.folder.dir, 520, 400, [{ type: 'openpose', image, scale: 1, start: 0, end: 1, controlNetDir: net }]));
    expect([out.width, out.height]).toEqual([520, 400]);
    expect(out.controlNetRuns).toBe(2);
  });

  it('img2img, inpaint and "only masked" on a 203×150 image keep its size (unmasked pixels exact)', async () => {
    const png = await pngOf(blockImage(203, 150, 5), 203, 150);
    const init = await decodeImage(png, 'initImage');
    const base = { modelDir: model.folder.dir, prompt: 'a lighthouse', negativePrompt: '', sampling: { sampler: 'euler' as const, steps: 2, guidanceScale: 1, seed: 3 }, previewEvery: 0, executionProvider: 'cpu' as const };
    const varied = await img2img(model, { ...base, kind: 'img2img', initImage: png, strength: 0.6 }, init);
    expect([varied.width, varied.height]).toEqual([203, 150]);
    const maskBytes = rectMask(203, 150, 40, 30, 120, 101);
    const mask = await decodeMask(await pngOf(maskBytes, 203, 150, 1), 'mask');
    for (const onlyMasked of [undefined, { padding: 13 }]) {
      const out = await inpaint(inpainting, { ...base, modelDir: inpainting.folder.dir, kind: 'inpaint', initImage: png, mask: new Uint8Array(1), maskBlur: 4, strength: 1, onlyMasked }, init, mask);
      expect([out.width, out.height]).toEqual([203, 150]);
      expect(unmaskedExact(out.image, init, maskBytes)).toBeGreaterThan(20_000);
    }
  });
});
