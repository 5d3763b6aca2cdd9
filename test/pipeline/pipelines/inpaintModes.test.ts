/**
 * The other inpainting paths: the 9-channel inpainting UNet (the oracle whose target is the prompt's
 * x₀ inside the mask and the masked image's latents outside), "only masked" crop inpainting (crop,
 * generate at the native size, paste back), and ControlNet during img2img.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, decodeMask, type RgbImage } from '../../../src/pipeline/ops/decodeImage';
import { chwToRgb8 } from '../../../src/pipeline/ops/image';
import { cropRegion, maskBounds } from '../../../src/pipeline/ops/maskRegion';
import { framePolicy, planFrame } from '../../../src/pipeline/ops/workingFrame';
import { img2img } from '../../../src/pipeline/pipelines/img2img';
import { inpaint } from '../../../src/pipeline/pipelines/inpaint';
import { loadModel, type LoadedModel } from '../../../src/pipeline/runtime/loadedModel';
import type { InpaintRequest } from '../../../src/shared/request';
import { writeControlNetFolder } from '../../fixtures/onnx/modelFolder';
import { oracleDecode, oracleTarget, oracleWeights } from '../../fixtures/onnx/oracle';
import { oracleModel, quietLog } from '../../helpers/fixtures';
import { blockImage, maxDiff, pngOf, rectMask, unmaskedExact } from '../../helpers/images';

const weights = oracleWeights();

function request(modelDir: string, overrides: Partial<InpaintRequest> = {}): InpaintRequest {
  return {
    kind: 'inpaint',
    modelDir,
    prompt: 'a lighthouse at dusk',
    negativePrompt: '',
    initImage: new Uint8Array(1),
    mask: new Uint8Array(1),
    maskBlur: 0,
    strength: 1,
    sampling: { sampler: 'euler', steps: 12, guidanceScale: 1, seed: 5 },
    previewEvery: 0,
    executionProvider: 'cpu',
    ...overrides,
  };
}

describe('9-channel inpainting UNet', () => {
  let model: LoadedModel;
  let init: RgbImage;
  beforeAll(async () => {
    model = await loadModel(oracleModel({ inpainting: true }), 'cpu', quietLog);
    init = await decodeImage(await pngOf(blockImage(64, 64, 11), 64, 64), 'initImage');
  });
  afterAll(async () => model.release());

  it('is chosen from the UNet: the masked region lands on the target, unmasked pixels stay bit-exact', async () => {
    expect(model.unet.isInpainting).toBe(true);
    const mask = rectMask(64, 64, 8, 16, 40, 48);
    const maskPng = await pngOf(mask, 64, 64, 1);
    const out = await inpaint(model, request(model.folder.dir), init, await decodeMask(maskPng, 'mask'));
    expect(unmaskedExact(out.image, init, mask)).toBe(64 * 64 - 32 * 32);
    const target = oracleDecode(weights, oracleTarget(weights, model.tokenizer.encodePadded('a lighthouse at dusk').ids, 8, 8), 8, 8);
    let worst = 0;
    for (let c = 0; c < 3; c++) for (let i = 0; i < mask.length; i++) if (mask[i]) worst = Math.max(worst, Math.abs(out.image[c * 4096 + i] - target[c * 4096 + i]));
    expect(worst).toBeLessThan(1e-3);
    // The inverse: without the mask channels in the right order the oracle would keep the original there.
    const original = chwToRgb8(out.image, 64, 64);
    let moved = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i]) moved = Math.max(moved, Math.abs(original[i * 3] - init.rgb[i * 3]));
    expect(moved).toBeGreaterThan(10);
  });

  it('refuses txt2img and img2img with a clear message', async () => {
    const png = await pngOf(init.rgb, 64, 64);
    await expect(img2img(model, { ...request(model.folder.dir), kind: 'img2img', initImage: png }, init)).rejects.toMatchObject({ code: 'MODEL_UNSUPPORTED', message: expect.stringContaining('9-channel inpainting UNet; use it for inpainting') });
  });
});

describe('"only masked" inpainting', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModel(oracleModel(), 'cpu', quietLog);
  });
  afterAll(async () => model.release());

  it('crop maths: the box, padding aligned to 8 (at least 64), clipped; the crop brought up to the native size', () => {
    const mask = rectMask(256, 256, 100, 120, 130, 140);
    expect(maskBounds(mask, 256, 256)).toEqual({ x: 100, y: 120, width: 30, height: 20 });
    expect(maskBounds(new Uint8Array(16), 4, 4)).toBeUndefined();
    expect(cropRegion({ x: 100, y: 120, width: 30, height: 20 }, 16, 256, 256)).toEqual({ x: 80, y: 104, width: 72, height: 64 });
    expect(cropRegion({ x: 0, y: 250, width: 6, height: 6 }, 4, 256, 256)).toEqual({ x: 0, y: 192, width: 64, height: 64 });
    const crop = framePolicy(512, 'model', true);
    expect(planFrame(72, 64, crop)).toMatchObject({ scaledWidth: 512, scaledHeight: 455, paddedWidth: 512, paddedHeight: 512 });
    expect(planFrame(640, 64, crop)).toMatchObject({ scaledWidth: 640, scaledHeight: 64, paddedWidth: 640, paddedHeight: 64 });
  });

  it('generates the crop at 512 and pastes it back: everything outside the mask is bit-exact', async () => {
    const init = await decodeImage(await pngOf(blockImage(256, 256, 3), 256, 256), 'initImage');
    const mask = rectMask(256, 256, 100, 120, 130, 140);
    const latentSizes = new Set<string>();
    const out = await inpaint(model, request(model.folder.dir, { onlyMasked: { padding: 16 }, maskBlur: 2 }), init, { width: 256, height: 256, data: mask }, { onStep: (_i, _n, _l, w, h) => latentSizes.add(`${w}×${h}`) });
    // The crop is 72×64 (mask box + 16 padding, aligned to 8; the feather reaches inward, so it adds
    // nothing): 512×455 at native size, padded to 512×512.
    expect([...latentSizes]).toEqual(['64×64']);
    // Everything outside the mask is the original (the seam lies inside it).
    unmaskedExact(out.image, init, mask);
    // Inside, the generated crop: far from the original, and the same as the whole-image run would not give.
    const rgb = chwToRgb8(out.image, 256, 256);
    let moved = 0;
    for (let y = 122; y < 138; y++) for (let x = 102; x < 128; x++) moved = Math.max(moved, Math.abs(rgb[(y * 256 + x) * 3] - init.rgb[(y * 256 + x) * 3]));
    expect(moved).toBeGreaterThan(10);
    const whole = await inpaint(model, request(model.folder.dir, { maskBlur: 2 }), init, { width: 256, height: 256, data: mask });
    expect(maxDiff(whole.image, out.image)).toBeGreaterThan(0.01);
    expect(whole.image.length).toBe(out.image.length);
  });

  it('padding must be a whole number of pixels', async () => {
    const init = await decodeImage(await pngOf(blockImage(64, 64, 3), 64, 64), 'initImage');
    await expect(inpaint(model, request(model.folder.dir, { onlyMasked: { padding: -4 } }), init, { width: 64, height: 64, data: rectMask(64, 64, 0, 0, 8, 8) })).rejects.toMatchObject({ argument: 'onlyMasked' });
  });
});

describe('ControlNet with img2img', () => {
  it('runs the ControlNet only on the steps that run', async () => {
    const model = await loadModel(oracleModel({ control: 'separate' }), 'cpu', quietLog);
    const net = writeControlNetFolder(path.join(mkdtempSync(path.join(os.tmpdir(), 'atelier-cn-i2i-')), 'Depth'), { family: 'oracle' });
    const png = await pngOf(blockImage(64, 64, 5), 64, 64);
    const control = { type: 'depth' as const, image: png, scale: 1, start: 0, end: 1, controlNetDir: net };
    const out = await img2img(model, { ...request(model.folder.dir), kind: 'img2img', initImage: png, strength: 0.5, controls: [control] }, await decodeImage(png, 'initImage'));
    expect(out.unetCalls).toBe(6);
    expect(out.controlNetRuns).toBe(6);
    await model.release();
  });
});
