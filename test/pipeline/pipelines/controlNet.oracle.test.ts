/**
 * ControlNet on the oracle: a ControlNet's residual moves the oracle's target by scale·P·pool₈(image),
 * so every run has an analytic answer — scale 0 equals no ControlNet, two ControlNets add, the
 * start/end window decides which steps see the residuals, CFG keeps the shift. Both layouts.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlActive } from '../../../src/pipeline/pipelines/controls';
import { txt2img } from '../../../src/pipeline/pipelines/txt2img';
import { loadModel, type LoadedModel } from '../../../src/pipeline/runtime/loadedModel';
import type { ControlInput, Txt2ImgRequest } from '../../../src/shared/request';
import { CONTROL_PROJECTION } from '../../fixtures/onnx/controlNets';
import { writeControlNetFolder } from '../../fixtures/onnx/modelFolder';
import { oracleDecode, oracleTarget, oracleWeights } from '../../fixtures/onnx/oracle';
import { oracleModel, quietLog } from '../../helpers/fixtures';
import { blockImage, maxDiff, pngOf } from '../../helpers/images';

const SIZE = 64;
const LATENT = SIZE / 8;
const weights = oracleWeights();
const scratch = mkdtempSync(path.join(os.tmpdir(), 'atelier-cn-'));
const depthNet = writeControlNetFolder(path.join(scratch, 'sd15-depth'), { family: 'oracle', name: 'lllyasviel/control_v11f1p_sd15_depth' });
const cannyNet = writeControlNetFolder(path.join(scratch, 'SD', 'Canny'), { family: 'oracle' });

let model: LoadedModel;
let depthRgb: Uint8Array;
let cannyRgb: Uint8Array;

beforeAll(async () => {
  model = await loadModel(oracleModel({ control: 'separate' }), 'cpu', quietLog);
  depthRgb = blockImage(SIZE, SIZE, 7);
  cannyRgb = blockImage(SIZE, SIZE, 8);
});
afterAll(async () => model.release());

function request(controls: ControlInput[], guidance = 1, steps = 12): Txt2ImgRequest {
  return {
    kind: 'txt2img',
    modelDir: model.folder.dir,
    prompt: 'a lighthouse at dusk',
    negativePrompt: 'fog',
    width: SIZE,
    height: SIZE,
    sampling: { sampler: 'euler', steps, guidanceScale: guidance, seed: 3 },
    previewEvery: 0,
    executionProvider: 'cpu',
    controls,
  };
}

async function control(type: ControlInput['type'], rgb: Uint8Array, scale: number, dir?: string, start = 0, end = 1): Promise<ControlInput> {
  return { type, image: await pngOf(rgb, SIZE, SIZE), scale, start, end, controlNetDir: dir };
}

/** scale · P · pool₈(image) in latent space, [4, h, w]. */
function shift(rgb: Uint8Array, scale: number): Float64Array {
  const out = new Float64Array(4 * LATENT * LATENT);
  for (let y = 0; y < LATENT; y++) {
    for (let x = 0; x < LATENT; x++) {
      const px = ((y * 8) * SIZE + x * 8) * 3; // block-constant image: any pixel of the block is its mean
      for (let k = 0; k < 4; k++) {
        let v = 0;
        for (let c = 0; c < 3; c++) v += CONTROL_PROJECTION[k * 3 + c] * (rgb[px + c] / 255);
        out[(k * LATENT + y) * LATENT + x] = scale * v;
      }
    }
  }
  return out;
}

function expected(shifts: Float64Array[], guidance = 1): Float32Array {
  const cond = oracleTarget(weights, model.tokenizer.encodePadded('a lighthouse at dusk').ids, LATENT, LATENT);
  const uncond = oracleTarget(weights, model.tokenizer.encodePadded('fog').ids, LATENT, LATENT);
  const x0 = cond.map((c, i) => (guidance > 1 ? uncond[i] + guidance * (c - uncond[i]) : c) + shifts.reduce((s, d) => s + d[i], 0));
  return oracleDecode(weights, x0, LATENT, LATENT);
}

describe('ControlNet, separate layout (c)', () => {
  it('scale s moves the output by the analytic amount; the residual-free answer is far from it', async () => {
    const out = await txt2img(model, request([await control('depth', depthRgb, 0.8, depthNet)]));
    expect(maxDiff(out.image, expected([shift(depthRgb, 0.8)]))).toBeLessThan(1e-3);
    expect(maxDiff(out.image, expected([]))).toBeGreaterThan(0.02);
    expect(out.controlNetRuns).toBe(12);
    expect(out.controlNets).toEqual([{ type: 'depth', model: depthNet, layout: 'separate', scale: 0.8, start: 0, end: 1 }]);
  });

  it('scale 0 equals no ControlNet at all', async () => {
    const none = await txt2img(model, request([]));
    const zero = await txt2img(model, request([await control('depth', depthRgb, 0, depthNet)]));
    expect(maxDiff(zero.image, none.image)).toBeLessThan(1e-6);
    expect(zero.controlNetRuns).toBe(0);
  });

  it('two ControlNets add their residuals', async () => {
    const out = await txt2img(model, request([await control('depth', depthRgb, 0.6, depthNet), await control('canny', cannyRgb, 0.5, cannyNet)]));
    expect(maxDiff(out.image, expected([shift(depthRgb, 0.6), shift(cannyRgb, 0.5)]))).toBeLessThan(1e-3);
    expect(maxDiff(out.image, expected([shift(depthRgb, 0.6)]))).toBeGreaterThan(0.01);
    expect(out.controlNetRuns).toBe(24);
  });

  it('under CFG the shift survives guidance: x₀u + g·(x₀c − x₀u) + shift', async () => {
    const out = await txt2img(model, request([await control('depth', depthRgb, 0.7, depthNet)], 3));
    expect(maxDiff(out.image, expected([shift(depthRgb, 0.7)], 3))).toBeLessThan(1e-3);
  });

  it('start/end follow diffusers: step k of n runs unless k/n < start or (k+1)/n > end', async () => {
    expect([...Array(10).keys()].filter((k) => controlActive(k, 10, 0.2, 0.7))).toEqual([2, 3, 4, 5, 6]);
    expect([...Array(4).keys()].filter((k) => controlActive(k, 4, 0, 1))).toEqual([0, 1, 2, 3]);
    const windowed = await txt2img(model, request([await control('depth', depthRgb, 1, depthNet, 0.2, 0.7)], 1, 10));
    expect(windowed.controlNetRuns).toBe(5);
    // Euler's last step lands on the last prediction: a window that covers it gives the full shift…
    const late = await txt2img(model, request([await control('depth', depthRgb, 1, depthNet, 0.5, 1)], 1, 10));
    expect(maxDiff(late.image, expected([shift(depthRgb, 1)]))).toBeLessThan(1e-3);
    // …and one that ends before it leaves none.
    const early = await txt2img(model, request([await control('depth', depthRgb, 1, depthNet, 0, 0.5)], 1, 10));
    expect(maxDiff(early.image, expected([]))).toBeLessThan(1e-3);
  });

  it('finds a ControlNet by type under the roots (config name or folder name)', async () => {
    const byType = await txt2img(model, { ...request([{ ...(await control('canny', cannyRgb, 0.5)) }]), controlNetRoots: [scratch, path.join(scratch, 'SD')] });
    expect(byType.controlNets[0].model).toBe(cannyNet);
    expect(maxDiff(byType.image, expected([shift(cannyRgb, 0.5)]))).toBeLessThan(1e-3);
  });

  it('a ControlNet without a conditioning_scale input gets the scale applied outside', async () => {
    const bare = writeControlNetFolder(path.join(scratch, 'bare-depth'), { family: 'oracle', withoutScaleInput: true });
    const out = await txt2img(model, request([await control('depth', depthRgb, 0.8, bare)]));
    expect(maxDiff(out.image, expected([shift(depthRgb, 0.8)]))).toBeLessThan(1e-3);
  });
});

describe('ControlNet, fused layout (a)', () => {
  let fused: LoadedModel;
  beforeAll(async () => {
    fused = await loadModel(oracleModel({ control: { fused: 2 } }), 'cpu', quietLog);
  });
  afterAll(async () => fused.release());

  it('both slots add, scale 0 removes a slot, and the window applies per slot', async () => {
    const base = { ...request([]), modelDir: fused.folder.dir };
    const two = await txt2img(fused, { ...base, controls: [await control('depth', depthRgb, 0.6), await control('canny', cannyRgb, 0.5)] });
    expect(maxDiff(two.image, expected([shift(depthRgb, 0.6), shift(cannyRgb, 0.5)]))).toBeLessThan(1e-3);
    expect(two.controlNets.map((c) => c.layout)).toEqual(['fused', 'fused']);
    const one = await txt2img(fused, { ...base, controls: [await control('depth', depthRgb, 0.6), await control('canny', cannyRgb, 0)] });
    expect(maxDiff(one.image, expected([shift(depthRgb, 0.6)]))).toBeLessThan(1e-3);
    const none = await txt2img(fused, base);
    expect(maxDiff(none.image, expected([]))).toBeLessThan(1e-3);
    const early = await txt2img(fused, { ...base, controls: [await control('depth', depthRgb, 1, undefined, 0, 0.5)] });
    expect(maxDiff(early.image, expected([]))).toBeLessThan(1e-3);
  });

  it('refuses a separate ControlNet and more controls than slots', async () => {
    const base = { ...request([]), modelDir: fused.folder.dir };
    await expect(txt2img(fused, { ...base, controls: [await control('depth', depthRgb, 1, depthNet)] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('fused into the UNet') });
    const three = await Promise.all([0.1, 0.2, 0.3].map((s) => control('depth', depthRgb, s)));
    await expect(txt2img(fused, { ...base, controls: three })).rejects.toMatchObject({ message: expect.stringContaining('has 2 fused ControlNets; 3 controls were given') });
  });
});
