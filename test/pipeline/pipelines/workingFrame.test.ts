/**
 * Images of any size: img2img, inpainting and "only masked" generate in a working frame (padded to
 * multiples of 8, scaled to the model's pixel budget when larger, unless full size is chosen) and
 * return exactly the input's size, with the unmasked pixels of an inpaint byte-identical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, decodeMask, type RgbImage } from '../../../src/pipeline/ops/decodeImage';
import { chwToRgb8 } from '../../../src/pipeline/ops/image';
import { framePolicy, padEdge, planFrame } from '../../../src/pipeline/ops/workingFrame';
import { img2img } from '../../../src/pipeline/pipelines/img2img';
import { inpaint } from '../../../src/pipeline/pipelines/inpaint';
import { txt2img } from '../../../src/pipeline/pipelines/txt2img';
import { loadModel, type LoadedModel } from '../../../src/pipeline/runtime/loadedModel';
import type { Img2ImgRequest, InpaintRequest } from '../../../src/shared/request';
import { oracleModel, quietLog, tinyModel } from '../../helpers/fixtures';
import { blockImage, maxDiff, pngOf, rectMask, unmaskedExact } from '../../helpers/images';
import { rotatedJpeg } from '../../helpers/photos';

let model: LoadedModel;
beforeAll(async () => {
  model = await loadModel(oracleModel(), 'cpu', quietLog);
});
afterAll(async () => model.release());

function base(): Omit<Img2ImgRequest, 'kind' | 'initImage' | 'strength'> {
  return { modelDir: model.folder.dir, prompt: 'a lighthouse at dusk', negativePrompt: '', sampling: { sampler: 'euler', steps: 6, guidanceScale: 1, seed: 7 }, previewEvery: 0, executionProvider: 'cpu' };
}

/** An image of any size: the block image cropped, so it is not aligned to 8. */
function oddImage(width: number, height: number, seed = 4): RgbImage {
  const w8 = Math.ceil(width / 8) * 8;
  const full = blockImage(w8, Math.ceil(height / 8) * 8, seed);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) rgb.set(full.subarray(y * w8 * 3, (y * w8 + width) * 3), y * width * 3);
  return { width, height, rgb };
}

describe('the working frame (pure)', () => {
  const model512 = framePolicy(512, 'model', false);
  it.each([
    [640, 480, 640, 480, 640, 512],
    [803, 653, 695, 565, 704, 576],
    [4032, 3024, 724, 543, 768, 576],
    [75, 69, 75, 69, 128, 128],
    [40, 30, 85, 64, 128, 64],
    [1, 1, 64, 64, 64, 64],
  ])('%i×%i is generated at %i×%i, padded to %i×%i', (w, h, sw, sh, pw, ph) => {
    expect(planFrame(w, h, model512)).toEqual({ width: w, height: h, scaledWidth: sw, scaledHeight: sh, paddedWidth: pw, paddedHeight: ph });
  });

  it('full size keeps the photo\'s own size (only padded); an impossible shape is refused', () => {
    expect(planFrame(4032, 3024, framePolicy(512, 'full', false))).toMatchObject({ scaledWidth: 4032, scaledHeight: 3024, paddedWidth: 4032, paddedHeight: 3072 });
    expect(planFrame(803, 653, framePolicy(512, 'full', false))).toMatchObject({ scaledWidth: 803, paddedWidth: 832, paddedHeight: 704 });
    expect(() => planFrame(300_000, 2, model512)).toThrow(/crop it to a less extreme shape/);
  });

  it('padding repeats the last column and row', () => {
    const rgb = Uint8Array.from([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    expect(Array.from(padEdge(rgb, 2, 2, 3, 3, 3))).toEqual([1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 3, 3, 3, 4, 4, 4, 4, 4, 4]);
  });
});

describe('img2img on any size', () => {
  it('a 75×69 image comes back 75×69; at strength 1 it is txt2img of the padded frame, cropped (not stretched)', async () => {
    const init = oddImage(75, 69);
    const request = { ...base(), kind: 'img2img' as const, initImage: await pngOf(init.rgb, 75, 69), strength: 1 };
    const out = await img2img(model, request, await decodeImage(request.initImage, 'initImage'));
    expect([out.width, out.height, out.image.length]).toEqual([75, 69, 3 * 75 * 69]);
    expect(out.warnings).toEqual([]);
    const reference = await txt2img(model, { ...base(), kind: 'txt2img', width: 128, height: 128 });
    const cropped = new Float32Array(3 * 75 * 69);
    for (let c = 0; c < 3; c++) for (let y = 0; y < 69; y++) cropped.set(reference.image.subarray(c * 128 * 128 + y * 128, c * 128 * 128 + y * 128 + 75), c * 75 * 69 + y * 75);
    expect(maxDiff(out.image, cropped)).toBeLessThan(1e-3);
  });

  it('a photo above the budget is generated at about the model\'s pixel count, says so, and comes back at its size; full size is a choice', async () => {
    const init = oddImage(803, 653);
    const request = { ...base(), kind: 'img2img' as const, initImage: await pngOf(init.rgb, 803, 653), strength: 0.5 };
    const sizes = new Set<string>();
    const out = await img2img(model, request, await decodeImage(request.initImage, 'initImage'), { onStep: (_i, _n, _l, w, h) => sizes.add(`${w * 8}×${h * 8}`) });
    expect([out.width, out.height]).toEqual([803, 653]);
    expect([...sizes]).toEqual(['704×576']);
    expect(out.warnings).toEqual(['the init image is 803×653; it was generated at 695×565, about the model\'s pixel budget, and scaled back to 803×653; to generate at full size (slower, and SD 1.x may repeat subjects) set atelier.workingResolution to "full" (CLI: --full-size)']);
    const full = new Set<string>();
    const fullOut = await img2img(model, { ...request, workingResolution: 'full' }, await decodeImage(request.initImage, 'initImage'), { onStep: (_i, _n, _l, w, h) => full.add(`${w * 8}×${h * 8}`) });
    expect([...full]).toEqual(['832×704']);
    expect([fullOut.width, fullOut.height, fullOut.warnings.length]).toEqual([803, 653, 0]);
  });

  it('a rotated phone JPEG of odd size is generated upright', async () => {
    const jpeg = await rotatedJpeg(67, 91, 6);
    const out = await img2img(model, { ...base(), kind: 'img2img', initImage: jpeg, strength: 0 }, await decodeImage(jpeg, 'initImage'));
    expect([out.width, out.height, out.warnings.length]).toEqual([67, 91, 0]);
  });
});

describe('inpainting on any size', () => {
  function inpaintRequest(overrides: Partial<InpaintRequest> = {}): InpaintRequest {
    return { ...base(), kind: 'inpaint', initImage: new Uint8Array(1), mask: new Uint8Array(1), maskBlur: 4, strength: 1, ...overrides };
  }

  it('75×69 with mask blur 4: the result is 75×69 and every unmasked pixel is byte-identical', async () => {
    const init = oddImage(75, 69);
    const mask = rectMask(75, 69, 30, 20, 75, 50);
    const out = await inpaint(model, inpaintRequest(), init, { width: 75, height: 69, data: mask });
    expect([out.width, out.height]).toEqual([75, 69]);
    expect(unmaskedExact(out.image, init, mask)).toBe(75 * 69 - 45 * 30);
    // The inverse: deep inside the mask it changed.
    const rgb = chwToRgb8(out.image, 75, 69);
    expect(Math.abs(rgb[(35 * 75 + 60) * 3] - init.rgb[(35 * 75 + 60) * 3]) + Math.abs(rgb[(35 * 75 + 60) * 3 + 2] - init.rgb[(35 * 75 + 60) * 3 + 2])).toBeGreaterThan(10);
  });

  it('a photo above the budget: scaled for the UNet, and still every unmasked pixel byte-identical at full size', async () => {
    const init = oddImage(803, 653);
    const mask = rectMask(803, 653, 101, 99, 420, 333);
    const out = await inpaint(model, inpaintRequest(), init, { width: 803, height: 653, data: mask });
    expect([out.width, out.height]).toEqual([803, 653]);
    expect(out.warnings[0]).toMatch(/^the image is 803×653; it was generated at 695×565/);
    expect(unmaskedExact(out.image, init, mask)).toBe(803 * 653 - 319 * 234);
  });

  it('"only masked" on an odd size near the edge: byte-identical outside the mask, the crop painted at the native size', async () => {
    const init = oddImage(203, 141);
    const mask = rectMask(203, 141, 180, 100, 203, 141);
    const sizes = new Set<string>();
    const out = await inpaint(model, inpaintRequest({ onlyMasked: { padding: 8 } }), init, { width: 203, height: 141, data: mask }, { onStep: (_i, _n, _l, w, h) => sizes.add(`${w * 8}×${h * 8}`) });
    expect([out.width, out.height]).toEqual([203, 141]);
    expect(out.warnings).toEqual([]);
    // The crop is x 168…203 (35 px, not a multiple of 8), y 88…141 → widened to 64×64 at least, then brought up to 512.
    expect([...sizes]).toHaveLength(1);
    expect(Math.max(...[...sizes][0].split('×').map(Number))).toBe(512);
    unmaskedExact(out.image, init, mask);
  });

  it('a mask painted on the upright photo lines up with a rotated JPEG init image', async () => {
    const jpeg = await rotatedJpeg(67, 91, 6);
    const init = await decodeImage(jpeg, 'initImage');
    const maskPng = await pngOf(rectMask(67, 91, 0, 40, 67, 91), 67, 91, 1);
    const out = await inpaint(model, inpaintRequest({ maskBlur: 0 }), init, await decodeMask(maskPng, 'mask'));
    // Before, the stored 91×67 image met a 67×91 mask: "the mask was resized to fit", and the wrong pixels kept.
    expect(out.warnings).toEqual([]);
    expect(unmaskedExact(out.image, init, rectMask(67, 91, 0, 40, 67, 91))).toBe(67 * 40);
  });
});

describe('on a UNet with the real SD architecture (random weights)', () => {
  // Its three downsamplings need latents in multiples of 8: an odd frame failed in onnxruntime
  // ("Concat … mismatched dimensions of 87 and 88"), which the analytic oracle above cannot show.
  let tiny: LoadedModel;
  beforeAll(async () => {
    tiny = await loadModel(tinyModel({ vaeEncoder: 'latent_sample' }), 'cpu', quietLog);
  });
  afterAll(async () => tiny.release());

  it('img2img and inpainting of a 203×141 image, and "only masked" near its edge, come back at its size; unmasked pixels exact', async () => {
    const init = oddImage(203, 141);
    const request = { ...base(), modelDir: tiny.folder.dir, sampling: { sampler: 'euler' as const, steps: 2, guidanceScale: 1, seed: 3 } };
    const varied = await img2img(tiny, { ...request, kind: 'img2img', initImage: await pngOf(init.rgb, 203, 141), strength: 0.6 }, init);
    expect([varied.width, varied.height, varied.image.length]).toEqual([203, 141, 3 * 203 * 141]);
    const mask = rectMask(203, 141, 150, 90, 203, 141);
    for (const onlyMasked of [undefined, { padding: 8 }]) {
      const out = await inpaint(tiny, { ...request, kind: 'inpaint', initImage: new Uint8Array(1), mask: new Uint8Array(1), maskBlur: 4, strength: 1, onlyMasked }, init, { width: 203, height: 141, data: mask });
      expect([out.width, out.height]).toEqual([203, 141]);
      expect(unmaskedExact(out.image, init, mask)).toBe(203 * 141 - 53 * 51);
    }
  });
});
