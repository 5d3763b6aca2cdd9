/** img2img on the oracle: strength 0 keeps the image, 1 equals txt2img, the schedule is cut as diffusers does. */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src/pipeline/ops/decodeImage';
import { chwToRgb8 } from '../../../src/pipeline/ops/image';
import { img2img } from '../../../src/pipeline/pipelines/img2img';
import { strengthStartIndex } from '../../../src/pipeline/pipelines/stages';
import { txt2img } from '../../../src/pipeline/pipelines/txt2img';
import { loadModel, type LoadedModel } from '../../../src/pipeline/runtime/loadedModel';
import type { Img2ImgRequest, SamplerName } from '../../../src/shared/request';
import { oracleDecode, oracleTarget, oracleWeights } from '../../fixtures/onnx/oracle';
import { oracleModel, quietLog } from '../../helpers/fixtures';

const SIZE = 64;
let model: LoadedModel;
let initPng: Uint8Array;
let initFloat: Float32Array;

beforeAll(async () => {
  model = await loadModel(oracleModel(), 'cpu', quietLog);
  // A block-constant image the oracle VAE can represent: the oracle's own rendering of another prompt.
  const w = oracleWeights();
  initFloat = oracleDecode(w, oracleTarget(w, model.tokenizer.encodePadded('a blue lake').ids, 8, 8), 8, 8);
  initPng = new Uint8Array(await sharp(Buffer.from(chwToRgb8(initFloat, SIZE, SIZE)), { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toBuffer());
});
afterAll(async () => model.release());

function request(strength: number, sampler: SamplerName = 'euler', steps = 20): Img2ImgRequest {
  return {
    kind: 'img2img',
    modelDir: model.folder.dir,
    prompt: 'a lighthouse at dusk',
    negativePrompt: '',
    initImage: initPng,
    strength,
    sampling: { sampler, steps, guidanceScale: 1, seed: 11 },
    previewEvery: 0,
    executionProvider: 'cpu',
  };
}

const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('img2img', () => {
  it('the strength cut matches diffusers: DDIM 50 at 0.6 runs 30 steps from t = 581', async () => {
    expect(strengthStartIndex(50, 0.6, 50)).toBe(20);
    const timesteps: number[] = [];
    const out = await img2img(model, request(0.6, 'ddim', 50), await decodeImage(initPng, 'initImage'), { onStep: (_i, _n, _l, _w, _h, t) => timesteps.push(t) });
    expect(out.unetCalls).toBe(30);
    expect(timesteps).toHaveLength(30);
    expect(timesteps[0]).toBe(581);
  });

  it.each(['latent_sample', 'latent_parameters'] as const)('strength 0 returns the input (VAE round trip) with a %s encoder', async (flavour) => {
    const m = flavour === 'latent_sample' ? model : await loadModel(oracleModel({ vaeEncoder: flavour }), 'cpu', quietLog);
    const out = await img2img(m, request(0), await decodeImage(initPng, 'initImage'));
    expect(out.unetCalls).toBe(0);
    expect(maxDiff(out.image, initFloat)).toBeLessThan(1.5 / 255);
    if (m !== model) await m.release();
  });

  it.each(['euler', 'ddim', 'dpmpp-2m', 'euler-a'] as const)('strength 1 equals txt2img from the same seed (%s)', async (sampler) => {
    const a = await img2img(model, request(1, sampler), await decodeImage(initPng, 'initImage'));
    const b = await txt2img(model, { ...request(1, sampler), kind: 'txt2img', width: SIZE, height: SIZE });
    expect(a.unetCalls).toBe(20);
    expect(maxDiff(a.image, b.image)).toBeLessThan(1e-3);
    // …and it moved away from the input: the inverse check.
    expect(maxDiff(a.image, initFloat)).toBeGreaterThan(0.05);
  });

  it('intermediate strength still lands on the prompt target with an exact model', async () => {
    const w = oracleWeights();
    const target = oracleDecode(w, oracleTarget(w, model.tokenizer.encodePadded('a lighthouse at dusk').ids, 8, 8), 8, 8);
    const out = await img2img(model, request(0.5, 'euler'), await decodeImage(initPng, 'initImage'));
    expect(out.unetCalls).toBe(10);
    expect(maxDiff(out.image, target)).toBeLessThan(1e-3);
  });

  it.each([
    [-0.1, 'strength must be a number from 0 (keep the image) to 1 (ignore it), got -0.1'],
    [1.5, 'got 1.5'],
    [Number.NaN, 'got NaN'],
  ])('strength %s is refused', async (strength, message) => {
    await expect(img2img(model, request(strength), await decodeImage(initPng, 'initImage'))).rejects.toMatchObject({ code: 'INVALID_INPUT', argument: 'strength', message: expect.stringContaining(message) });
  });

  it('corrupt init images and a model without an encoder are refused clearly (any size is taken: workingFrame.test.ts)', async () => {
    await expect(decodeImage(initPng.subarray(0, 40), 'initImage')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(decodeImage(new TextEncoder().encode('not an image'), 'initImage')).rejects.toMatchObject({ argument: 'initImage', message: expect.stringContaining('the init image is not a readable image') });
    const noEncoder = await loadModel(oracleModel({ vaeEncoder: 'none' }), 'cpu', quietLog);
    await expect(img2img(noEncoder, request(0.5), await decodeImage(initPng, 'initImage'))).rejects.toMatchObject({ code: 'MODEL_UNSUPPORTED', message: expect.stringContaining('vae_encoder') });
    await noEncoder.release();
  });
});
