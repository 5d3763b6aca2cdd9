/**
 * Every exporter interface variant of onnx-interfaces.md §1 runs, and gives the same image as the
 * diffusers-script interface (bit-identical where only the interface differs; within fp16 rounding
 * for fp16 I/O).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../../src/pipeline/runtime/loadedModel';
import { txt2img } from '../../../src/pipeline/pipelines/txt2img';
import type { Txt2ImgRequest } from '../../../src/shared/request';
import type { InterfaceVariant } from '../../fixtures/onnx/interfaces';
import { oracleDecode, oracleTarget, oracleWeights } from '../../fixtures/onnx/oracle';
import { oracleModel, quietLog, tinyModel } from '../../helpers/fixtures';

const opened: LoadedModel[] = [];
afterAll(async () => {
  for (const m of opened) await m.release();
});

async function render(dir: string, overrides: Partial<Txt2ImgRequest['sampling']> = {}): Promise<{ image: Float32Array; model: LoadedModel }> {
  const model = await loadModel(dir, 'cpu', quietLog);
  opened.push(model);
  const out = await txt2img(model, {
    kind: 'txt2img',
    modelDir: dir,
    prompt: 'a red fox in the snow',
    negativePrompt: 'low quality',
    width: 64,
    height: 64,
    sampling: { sampler: 'ddim', steps: 4, guidanceScale: 3, seed: 7, ...overrides },
    previewEvery: 0,
    executionProvider: 'cpu',
  });
  return { image: out.image, model };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('tiny-random exporter variants', () => {
  const variants: Array<[string, Partial<InterfaceVariant>, number]> = [
    ['optimum <1.24: int64 ids, int64 [B] timestep, model.onnx_data', { idsType: 'int64', timestep: 'int64-batch', externalData: 'model.onnx_data' }, 0],
    ['optimum ≥1.24: float scalar timestep', { idsType: 'int64', timestep: 'float-scalar' }, 0],
    ['ORT demo: float [1] timestep, model.onnx.data', { timestep: 'float-one', externalData: 'model.onnx.data' }, 0],
    ['timestep declared without shape', { timestep: 'float-unshaped' }, 0],
    ['diffusers script with weights.pb', { externalData: 'weights.pb' }, 0],
    ['UNet with batch fixed to 1 (CFG in two passes)', { fixedBatchOne: true }, 1e-5],
    ['fp16 inputs and outputs', { floatIo: 'float16' }, 3e-2],
  ];

  it.each(variants)('%s', async (_name, variant, tolerance) => {
    const reference = await render(tinyModel());
    const other = await render(tinyModel({ variant }));
    expect(reference.model.family).toBe('SD-family (text width 32)');
    expect(other.image.length).toBe(3 * 64 * 64);
    expect(maxDiff(other.image, reference.image)).toBeLessThanOrEqual(tolerance);
    // Guard against a vacuous comparison: the image is not flat.
    expect(Math.max(...reference.image) - Math.min(...reference.image)).toBeGreaterThan(0.05);
  });

  it('a different seed gives a different image, the same seed the same one', async () => {
    const a = await render(tinyModel(), { seed: 1 });
    const b = await render(tinyModel(), { seed: 1 });
    const c = await render(tinyModel(), { seed: 2 });
    expect(maxDiff(a.image, b.image)).toBe(0);
    expect(maxDiff(a.image, c.image)).toBeGreaterThan(1e-3);
  });
});

describe('oracle through a mixed optimum-style interface still lands', () => {
  it('int64 ids, float scalar timestep, fixed batch 1, external data', async () => {
    const weights = oracleWeights();
    const { image, model } = await render(
      oracleModel({ variant: { idsType: 'int64', timestep: 'float-scalar', fixedBatchOne: true, externalData: 'model.onnx_data' } }),
      { sampler: 'ddim', steps: 20, guidanceScale: 3 },
    );
    const cond = oracleTarget(weights, model.tokenizer.encodePadded('a red fox in the snow').ids, 8, 8);
    const uncond = oracleTarget(weights, model.tokenizer.encodePadded('low quality').ids, 8, 8);
    const expected = oracleDecode(weights, uncond.map((u, i) => u + 3 * (cond[i] - u)), 8, 8);
    expect(maxDiff(image, expected)).toBeLessThan(1e-3);
  });
});
