/** Mask-blend inpainting on the oracle: unmasked pixels bit-exact, masked region lands on the target. */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, decodeMask, type RgbImage } from '../../../src/pipeline/ops/decodeImage';
import { chwToRgb8 } from '../../../src/pipeline/ops/image';
import { inpaint } from '../../../src/pipeline/pipelines/inpaint';
import { loadModel, type LoadedModel } from '../../../src/pipeline/runtime/loadedModel';
import type { InpaintRequest, SamplerName } from '../../../src/shared/request';
import { oracleDecode, oracleTarget, oracleWeights } from '../../fixtures/onnx/oracle';
import { oracleModel, quietLog } from '../../helpers/fixtures';

const SIZE = 64;
let model: LoadedModel;
let init: RgbImage;
let target: Float32Array;

async function pngOf(rgb: Uint8Array, width: number, height: number, channels: 1 | 3 = 3): Promise<Uint8Array> {
  return new Uint8Array(await sharp(Buffer.from(rgb), { raw: { width, height, channels } }).png().toBuffer());
}

/** White (repaint) where x < split, black elsewhere. */
function leftMask(width: number, height: number, split: number): Uint8Array {
  const m = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < split; x++) m[y * width + x] = 255;
  return m;
}

beforeAll(async () => {
  model = await loadModel(oracleModel(), 'cpu', quietLog);
  const w = oracleWeights();
  const base = oracleDecode(w, oracleTarget(w, model.tokenizer.encodePadded('a blue lake').ids, 8, 8), 8, 8);
  init = await decodeImage(await pngOf(chwToRgb8(base, SIZE, SIZE), SIZE, SIZE), 'initImage');
  target = oracleDecode(w, oracleTarget(w, model.tokenizer.encodePadded('a lighthouse at dusk').ids, 8, 8), 8, 8);
});
afterAll(async () => model.release());

function request(mask: Uint8Array, maskBlur: number, sampler: SamplerName = 'euler'): InpaintRequest {
  return {
    kind: 'inpaint',
    modelDir: model.folder.dir,
    prompt: 'a lighthouse at dusk',
    negativePrompt: '',
    initImage: new Uint8Array(1),
    mask,
    maskBlur,
    strength: 1,
    sampling: { sampler, steps: 20, guidanceScale: 1, seed: 5 },
    previewEvery: 0,
    executionProvider: 'cpu',
  };
}

describe('inpainting (mask blend)', () => {
  it.each(['euler', 'ddim', 'dpmpp-2m'] as const)('%s: unmasked pixels come back bit-exact; the masked half lands on the target', async (sampler) => {
    const maskPng = await pngOf(leftMask(SIZE, SIZE, 32), SIZE, SIZE, 1);
    const out = await inpaint(model, request(maskPng, 0, sampler), init, await decodeMask(maskPng, 'mask'));
    const rgb = chwToRgb8(out.image, SIZE, SIZE);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 32; x < SIZE; x++) for (let c = 0; c < 3; c++) expect(rgb[(y * SIZE + x) * 3 + c]).toBe(init.rgb[(y * SIZE + x) * 3 + c]);
    }
    let worst = 0;
    for (let c = 0; c < 3; c++) for (let y = 0; y < SIZE; y++) for (let x = 0; x < 32; x++) worst = Math.max(worst, Math.abs(out.image[c * SIZE * SIZE + y * SIZE + x] - target[c * SIZE * SIZE + y * SIZE + x]));
    expect(worst).toBeLessThan(1e-3);
    // The inverse: the masked half really changed from the original.
    let changed = 0;
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < 32; x++) changed = Math.max(changed, Math.abs(rgb[(y * SIZE + x) * 3] - init.rgb[(y * SIZE + x) * 3]));
    expect(changed).toBeGreaterThan(10);
  });

  it('a feathered seam lies inside the painted mask: every unmasked pixel is exact, the blend ramps inward', async () => {
    // Before: the feather blurred outwards too, changing unmasked pixels up to 3 × blur px from the mask.
    const maskPng = await pngOf(leftMask(SIZE, SIZE, 24), SIZE, SIZE, 1);
    const out = await inpaint(model, request(maskPng, 4), init, await decodeMask(maskPng, 'mask'));
    const rgb = chwToRgb8(out.image, SIZE, SIZE);
    for (let y = 0; y < SIZE; y++) for (let x = 24; x < SIZE; x++) for (let c = 0; c < 3; c++) expect(rgb[(y * SIZE + x) * 3 + c]).toBe(init.rgb[(y * SIZE + x) * 3 + c]);
    // Inside, the weight rises from ≈0 at the edge to 1 at 3 × blur = 12 px in: the target from x ≤ 11.
    let worst = 0;
    for (let c = 0; c < 3; c++) for (let y = 0; y < SIZE; y++) for (let x = 0; x <= 11; x++) worst = Math.max(worst, Math.abs(out.image[c * SIZE * SIZE + y * SIZE + x] - target[c * SIZE * SIZE + y * SIZE + x]));
    expect(worst).toBeLessThan(1e-3);
    // The share of the target in the blend, along the row, on the channel where target and original differ most.
    const share = (x: number): number => {
      const p = 32 * SIZE + x;
      const c = [0, 1, 2].reduce((best, k) => (Math.abs(target[k * SIZE * SIZE + p] - init.rgb[p * 3 + k] / 255) > Math.abs(target[best * SIZE * SIZE + p] - init.rgb[p * 3 + best] / 255) ? k : best), 0);
      const o = init.rgb[p * 3 + c] / 255;
      return (out.image[c * SIZE * SIZE + p] - o) / (target[c * SIZE * SIZE + p] - o);
    };
    const ramp = [23, 20, 17, 14].map(share);
    for (let k = 1; k < ramp.length; k++) expect(ramp[k]).toBeGreaterThan(ramp[k - 1]);
    expect(ramp[0]).toBeLessThan(0.1);
    expect(ramp[3]).toBeGreaterThan(0.8);
  });

  it('an empty mask says there is nothing to repaint; a full mask warns; another size is resized with a notice', async () => {
    const empty = await pngOf(new Uint8Array(SIZE * SIZE), SIZE, SIZE, 1);
    await expect(inpaint(model, request(empty, 0), init, await decodeMask(empty, 'mask'))).rejects.toMatchObject({ code: 'INVALID_INPUT', argument: 'mask', message: expect.stringContaining('nothing to repaint') });
    const full = await pngOf(new Uint8Array(SIZE * SIZE).fill(255), SIZE, SIZE, 1);
    const fullOut = await inpaint(model, request(full, 0), init, await decodeMask(full, 'mask'));
    expect(fullOut.warnings).toContain('the mask covers the whole image: this is the same as img2img/txt2img');
    const small = await pngOf(leftMask(32, 32, 16), 32, 32, 1);
    const smallOut = await inpaint(model, request(small, 0), init, await decodeMask(small, 'mask'));
    expect(smallOut.warnings).toContain('the mask is 32×32 but the image is 64×64; the mask was resized to fit');
    const rgb = chwToRgb8(smallOut.image, SIZE, SIZE);
    expect(rgb[(10 * SIZE + 50) * 3]).toBe(init.rgb[(10 * SIZE + 50) * 3]);
  });

  it('mask blur must be a whole number of pixels', async () => {
    const maskPng = await pngOf(leftMask(SIZE, SIZE, 32), SIZE, SIZE, 1);
    await expect(inpaint(model, request(maskPng, 1.5), init, await decodeMask(maskPng, 'mask'))).rejects.toMatchObject({ argument: 'maskBlur' });
  });
});
