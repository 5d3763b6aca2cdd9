/**
 * Oracle landing: with an exact noise predictor, every correct sampler ends on the analytic target
 * image, and CFG on x₀u + g·(x₀c − x₀u). Broken samplers (no input scaling, off-by-one timestep) miss.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Txt2ImgRequest, SamplerName } from '../../../src/shared/request';
import { loadModel, type LoadedModel } from '../../../src/pipeline/runtime/loadedModel';
import { txt2img } from '../../../src/pipeline/pipelines/txt2img';
import type { Scheduler } from '../../../src/pipeline/schedulers';
import { GaussianNoise } from '../../../src/pipeline/random/gaussian';
import { oracleDecode, oracleTarget, oracleWeights } from '../../fixtures/onnx/oracle';
import { oracleModel, quietLog } from '../../helpers/fixtures';

const SIZE = 64;
const LATENT = SIZE / 8;

function request(overrides: Partial<Txt2ImgRequest> & { sampler?: SamplerName; steps?: number; guidance?: number }): Txt2ImgRequest {
  return {
    kind: 'txt2img',
    modelDir: '',
    prompt: 'a lighthouse at dusk',
    negativePrompt: 'blurry',
    width: SIZE,
    height: SIZE,
    sampling: { sampler: overrides.sampler ?? 'euler', steps: overrides.steps ?? 20, guidanceScale: overrides.guidance ?? 1, seed: 42 },
    previewEvery: 0,
    executionProvider: 'cpu',
    ...overrides,
  };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each([
  ['epsilon', {}],
  ['v_prediction', { prediction_type: 'v_prediction' }],
] as const)('oracle landing (%s)', (_label, scheduler) => {
  let model: LoadedModel;
  const weights = oracleWeights();
  beforeAll(async () => {
    model = await loadModel(oracleModel({ scheduler }), 'cpu', quietLog);
  });
  afterAll(async () => model.release());

  const target = (prompt: string, negative: string, guidance: number): Float32Array => {
    const cond = oracleTarget(weights, model.tokenizer.encodePadded(prompt).ids, LATENT, LATENT);
    if (guidance <= 1) return oracleDecode(weights, cond, LATENT, LATENT);
    const uncond = oracleTarget(weights, model.tokenizer.encodePadded(negative).ids, LATENT, LATENT);
    return oracleDecode(weights, uncond.map((u, i) => u + guidance * (cond[i] - u)), LATENT, LATENT);
  };

  const samplers: Array<[SamplerName, number]> = [
    ['euler', 20],
    ['euler-a', 20],
    ['ddim', 20],
    ['pndm', 20],
    ['dpmpp-2m', 20],
    ['dpmpp-2m-karras', 20],
    ['lcm', 4],
  ];

  it.each(samplers)('%s lands on the target without CFG', async (sampler, steps) => {
    const out = await txt2img(model, { ...request({ sampler, steps }), modelDir: model.folder.dir });
    expect(maxDiff(out.image, target('a lighthouse at dusk', '', 1))).toBeLessThan(1e-3);
  });

  it.each(samplers)('%s lands on x₀u + g·(x₀c − x₀u) with CFG 3', async (sampler, steps) => {
    const out = await txt2img(model, { ...request({ sampler, steps, guidance: 3 }), modelDir: model.folder.dir });
    const expected = target('a lighthouse at dusk', 'blurry', 3);
    expect(maxDiff(out.image, expected)).toBeLessThan(1e-3);
    // The inverse: the unguided target is far from the guided result.
    expect(maxDiff(out.image, target('a lighthouse at dusk', '', 1))).toBeGreaterThan(0.02);
  });
});

describe('broken samplers miss the oracle target', () => {
  let model: LoadedModel;
  const weights = oracleWeights();
  beforeAll(async () => {
    model = await loadModel(oracleModel(), 'cpu', quietLog);
  });
  afterAll(async () => model.release());

  const run = async (sampler: SamplerName, adapt: (s: Scheduler) => Scheduler): Promise<number> => {
    const out = await txt2img(model, { ...request({ sampler, steps: 20 }), modelDir: model.folder.dir }, { adaptScheduler: adapt });
    return maxDiff(out.image, oracleDecode(weights, oracleTarget(weights, model.tokenizer.encodePadded('a lighthouse at dusk').ids, LATENT, LATENT), LATENT, LATENT));
  };

  /**
   * With an exact denoiser, Euler follows x_k = x₀ + (σ_k/σ₀)(x_T − x₀) at every step. The end point
   * alone cannot catch a missing scale_model_input (the last step from σ = 0.03 corrects it), so this
   * checks the latents half-way.
   */
  const midTrajectoryError = async (adapt?: (s: Scheduler) => Scheduler): Promise<number> => {
    let mid: Float32Array | undefined;
    let sigmas: readonly number[] = [];
    let initSigma = 0;
    await txt2img(model, { ...request({ sampler: 'euler', steps: 20 }), modelDir: model.folder.dir }, {
      adaptScheduler: (s) => {
        const used = adapt ? adapt(s) : s;
        return new Proxy(used, {
          get: (target, prop) => {
            if (prop === 'step') {
              sigmas = (s as unknown as { sigmas: readonly number[] }).sigmas;
              initSigma = s.initNoiseSigma;
            }
            return Reflect.get(target, prop, target);
          },
        });
      },
      onStep: (index, _total, latents) => {
        if (index === 9) mid = latents.slice();
      },
    });
    const x0 = oracleTarget(weights, model.tokenizer.encodePadded('a lighthouse at dusk').ids, LATENT, LATENT);
    const xT = new GaussianNoise(42).normal(x0.length).map((n) => n * initSigma);
    const ratio = sigmas[10] / sigmas[0];
    let err = 0;
    for (let i = 0; i < x0.length; i++) err = Math.max(err, Math.abs((mid?.[i] ?? NaN) - (x0[i] + ratio * (xT[i] - x0[i]))));
    return err;
  };

  it('correct Euler stays on the analytic trajectory; Euler without scale_model_input leaves it', async () => {
    expect(await midTrajectoryError()).toBeLessThan(1e-3);
    expect(await midTrajectoryError((s) => Object.assign(Object.create(s) as Scheduler, { scaleModelInput: (x: Float32Array) => x }))).toBeGreaterThan(0.1);
  });

  it.each(['ddim', 'euler', 'dpmpp-2m'] as const)('%s with an off-by-one timestep', async (sampler) => {
    const diff = await run(sampler, (s) => {
      const shifted = s.timesteps.map((t) => t + 1);
      return new Proxy(s, { get: (target, prop) => (prop === 'timesteps' ? shifted : Reflect.get(target, prop, target)) });
    });
    expect(diff).toBeGreaterThan(1e-3);
  });
});
