/** Outpainting on the oracle: original pixels kept exactly in place, the new area filled and landed. */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, type RgbImage } from '../../../src/pipeline/ops/decodeImage';
import { chwToRgb8 } from '../../../src/pipeline/ops/image';
import { extendCanvas, outpaint } from '../../../src/pipeline/pipelines/outpaint';
import { loadModel, type LoadedModel } from '../../../src/pipeline/runtime/loadedModel';
import type { OutpaintRequest } from '../../../src/shared/request';
import { oracleDecode, oracleTarget, oracleWeights } from '../../fixtures/onnx/oracle';
import { oracleModel, quietLog } from '../../helpers/fixtures';

let model: LoadedModel;
let init: RgbImage;

beforeAll(async () => {
  model = await loadModel(oracleModel(), 'cpu', quietLog);
  const w = oracleWeights();
  const base = oracleDecode(w, oracleTarget(w, model.tokenizer.encodePadded('a blue lake').ids, 8, 8), 8, 8);
  init = await decodeImage(new Uint8Array(await sharp(Buffer.from(chwToRgb8(base, 64, 64)), { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer()), 'initImage');
});
afterAll(async () => model.release());

function request(extend: OutpaintRequest['extend'], maskBlur: number, fill: OutpaintRequest['fill'] = 'edge'): OutpaintRequest {
  return {
    kind: 'outpaint',
    modelDir: model.folder.dir,
    prompt: 'a lighthouse at dusk',
    negativePrompt: '',
    initImage: new Uint8Array(1),
    strength: 1,
    extend,
    fill,
    maskBlur,
    sampling: { sampler: 'euler', steps: 20, guidanceScale: 1, seed: 9 },
    previewEvery: 0,
    executionProvider: 'cpu',
  };
}

describe('outpainting', () => {
  it.each([0, 4])('mask blur %i: the original is byte-identical at its offset; the new area lands on the target', async (blur) => {
    const out = await outpaint(model, request({ left: 16, right: 16, top: 0, bottom: 32 }, blur), init);
    expect([out.width, out.height]).toEqual([96, 96]);
    const rgb = chwToRgb8(out.image, 96, 96);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) for (let c = 0; c < 3; c++) expect(rgb[(y * 96 + x + 16) * 3 + c]).toBe(init.rgb[(y * 64 + x) * 3 + c]);
    // The 96×96 canvas is generated in a 128×128 frame (padded to multiples of 64) and cropped back;
    // the oracle's target depends on the frame, so it is the 128×128 target's top-left 96×96.
    const w = oracleWeights();
    const frame = oracleDecode(w, oracleTarget(w, model.tokenizer.encodePadded('a lighthouse at dusk').ids, 16, 16), 16, 16);
    const target = new Float32Array(3 * 96 * 96);
    for (let c = 0; c < 3; c++) for (let y = 0; y < 96; y++) target.set(frame.subarray(c * 128 * 128 + y * 128, c * 128 * 128 + y * 128 + 96), c * 96 * 96 + y * 96);
    // The feather band (3 passes × radius) lies inside the new area and softens the latent mask of the
    // 8-pixel blocks it touches; from the first block fully beyond it, the oracle target is reached.
    const firstRow = 64 + Math.ceil((blur * 3) / 8) * 8;
    let worst = 0;
    for (let y = firstRow; y < 96; y++) for (let x = 0; x < 96; x++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(out.image[c * 96 * 96 + y * 96 + x] - target[c * 96 * 96 + y * 96 + x]));
    expect(worst).toBeLessThan(1e-3);
  });

  it('edge fill stretches the border outwards; noise fill is seeded; the mask covers exactly the new area', () => {
    const edge = extendCanvas(init, { left: 8, right: 0, top: 8, bottom: 0 }, 'edge', 1);
    expect(Array.from(edge.image.rgb.subarray(0, 3))).toEqual(Array.from(init.rgb.subarray(0, 3)));
    expect(edge.mask.reduce((n, v) => n + (v ? 1 : 0), 0)).toBe(72 * 72 - 64 * 64);
    expect(edge.mask.reduce((n, v) => n + (v ? 0 : 1), 0)).toBe(64 * 64);
    const a = extendCanvas(init, { left: 8, right: 0, top: 0, bottom: 0 }, 'noise', 1);
    const b = extendCanvas(init, { left: 8, right: 0, top: 0, bottom: 0 }, 'noise', 1);
    const c = extendCanvas(init, { left: 8, right: 0, top: 0, bottom: 0 }, 'noise', 2);
    expect(Buffer.from(a.image.rgb).equals(Buffer.from(b.image.rgb))).toBe(true);
    expect(Buffer.from(a.image.rgb).equals(Buffer.from(c.image.rgb))).toBe(false);
  });

  it.each([
    [{ left: 0, right: 0, top: 0, bottom: 0 }, 'at least one side'],
    [{ left: 1.5, right: 0, top: 0, bottom: 0 }, 'outpaint left must be a whole number of pixels ≥ 0, got 1.5'],
    [{ left: -8, right: 0, top: 0, bottom: 0 }, 'got -8'],
    [{ left: 0, right: 262144, top: 0, bottom: 0 }, 'more than the 16777216-pixel limit; extend less'],
  ])('refuses %o', async (extend, message) => {
    await expect(outpaint(model, request(extend, 0), init)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining(message) });
  });
});
