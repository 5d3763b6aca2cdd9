import { describe, expect, it } from 'vitest';
import { applyModelDefaults, LCM_EMBEDDED_GUIDANCE, samplingDefaultsFor, userSetSetting, type ModelSamplingTraits } from '../../src/shared/samplingDefaults';
import type { GenerationRequest, Img2ImgRequest, Txt2ImgRequest } from '../../src/shared/request';

const plain: ModelSamplingTraits = { pipelineClass: 'OnnxStableDiffusionPipeline', schedulerClass: 'PNDMScheduler', names: ['stable-diffusion-v1-5'], timestepCond: false };

describe('samplingDefaultsFor', () => {
  it.each<[string, Partial<ModelSamplingTraits>, ReturnType<typeof samplingDefaultsFor>]>([
    ['SD-Turbo by folder name', { names: ['sd-turbo'], schedulerClass: 'EulerDiscreteScheduler' }, { kind: 'turbo', sampler: 'euler-a', steps: 1, guidanceScale: 0 }],
    ['SDXL-Turbo checkpoint name', { names: ['x', 'sd_xl_turbo_1.0_fp16'] }, { kind: 'turbo', sampler: 'euler-a', steps: 1, guidanceScale: 0 }],
    ['_name_or_path stabilityai/sdxl-turbo', { names: ['model', 'stabilityai/sdxl-turbo'] }, { kind: 'turbo', sampler: 'euler-a', steps: 1, guidanceScale: 0 }],
    ['LCMScheduler in the scheduler config (LCM-LoRA fused, no timestep_cond)', { schedulerClass: 'LCMScheduler' }, { kind: 'lcm', sampler: 'lcm', steps: 4, guidanceScale: 1 }],
    ['LCM pipeline class', { pipelineClass: 'LatentConsistencyModelPipeline' }, { kind: 'lcm', sampler: 'lcm', steps: 4, guidanceScale: 1 }],
    ['timestep_cond UNet (LCM-Dreamshaper)', { timestepCond: true }, { kind: 'lcm', sampler: 'lcm', steps: 4, guidanceScale: LCM_EMBEDDED_GUIDANCE }],
    ['LCM wins over a turbo name', { timestepCond: true, names: ['lcm-turbo'] }, { kind: 'lcm', sampler: 'lcm', steps: 4, guidanceScale: LCM_EMBEDDED_GUIDANCE }],
    ['plain SD 1.5', {}, undefined],
    ['"turbo" inside another word is not a signal', { names: ['turbocharged-v1', 'myturbo'] }, undefined],
    ['trailing spacing alone is not a signal', { schedulerClass: 'EulerDiscreteScheduler', names: ['sd21-finetune'] }, undefined],
  ])('%s', (_, traits, expected) => {
    expect(samplingDefaultsFor({ ...plain, ...traits })).toEqual(expected);
  });
});

const txt2img: Txt2ImgRequest = {
  kind: 'txt2img', modelDir: '/m', prompt: 'a fox', negativePrompt: '', width: 512, height: 512,
  sampling: { sampler: 'model-default', steps: 20, guidanceScale: 7.5, seed: 1 }, previewEvery: 0, executionProvider: 'cpu',
  modelDefaults: ['sampler', 'steps', 'guidanceScale'],
};
const turbo: ModelSamplingTraits = { ...plain, names: ['sd-turbo'] };

describe('applyModelDefaults', () => {
  it('fills what the user left unset with the model defaults and says so', () => {
    const { request, notice, applied } = applyModelDefaults(txt2img, turbo);
    expect(request.sampling).toEqual({ sampler: 'euler-a', steps: 1, guidanceScale: 0, seed: 1 });
    expect(applied).toEqual({ sampler: 'euler-a', steps: 1, guidanceScale: 0 });
    expect(notice).toBe('sampler euler-a, 1 step, guidance 0: the defaults for a Turbo (few-step) model; set steps, guidance or sampler to choose your own');
  });

  it('explicit values win: only the fields listed in modelDefaults change', () => {
    const { request, notice } = applyModelDefaults({ ...txt2img, sampling: { ...txt2img.sampling, steps: 3 }, modelDefaults: ['sampler', 'guidanceScale'] }, turbo);
    expect(request.sampling).toEqual({ sampler: 'euler-a', steps: 3, guidanceScale: 0, seed: 1 });
    expect(notice).toMatch(/^sampler euler-a, guidance 0: /);
    const all = { ...txt2img, modelDefaults: [] } satisfies GenerationRequest;
    expect(applyModelDefaults(all, turbo)).toEqual({ request: all });
    const { modelDefaults: _, ...absent } = txt2img;
    expect(applyModelDefaults(absent, turbo)).toEqual({ request: absent });
  });

  it('leaves other models and already-matching values alone, without a notice', () => {
    expect(applyModelDefaults(txt2img, plain)).toEqual({ request: txt2img });
    const same = { ...txt2img, sampling: { sampler: 'euler-a', steps: 1, guidanceScale: 0, seed: 1 } } satisfies Txt2ImgRequest;
    expect(applyModelDefaults(same, turbo)).toEqual({ request: same });
  });

  it('from an image, enough steps that strength × steps ≥ 1 (at most 4)', () => {
    const { kind: _k, width: _w, height: _h, ...rest } = txt2img;
    const img = (strength: number): Img2ImgRequest => ({ ...rest, kind: 'img2img', initImage: new Uint8Array(1), strength, workingResolution: 'model' });
    expect(applyModelDefaults(img(1), turbo).request.sampling.steps).toBe(1);
    expect(applyModelDefaults(img(0.5), turbo).request.sampling.steps).toBe(2);
    expect(applyModelDefaults(img(0.3), turbo).request.sampling.steps).toBe(4);
    expect(applyModelDefaults(img(0.05), turbo).request.sampling.steps).toBe(4);
    expect(applyModelDefaults(img(0.5), { ...plain, schedulerClass: 'LCMScheduler' }).request.sampling.steps).toBe(4);
  });
});

describe('userSetSetting (VS Code inspect())', () => {
  it('a value at any level is the user\'s choice, even when it equals the default; only the default is not', () => {
    expect(userSetSetting(undefined)).toBe(false);
    expect(userSetSetting({})).toBe(false);
    expect(userSetSetting({ globalValue: 20 })).toBe(true);
    expect(userSetSetting({ workspaceValue: 'euler' })).toBe(true);
    expect(userSetSetting({ workspaceFolderValue: 7.5 })).toBe(true);
    expect(userSetSetting({ workspaceLanguageValue: 4 })).toBe(true);
    expect(userSetSetting({ globalValue: undefined, workspaceValue: undefined })).toBe(false);
  });
});
