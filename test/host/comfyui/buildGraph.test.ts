import { describe, expect, it } from 'vitest';
import { buildGraph, img2imgGraph, inpaintGraph, outpaintGraph, SAVE_PREFIX, txt2imgGraph, upscaleGraph, type BuiltGraph } from '../../../src/host/comfyui/buildGraph';
import type { ComfyGraph, ComfyLink, ComfyNode, ComfyValue } from '../../../src/host/comfyui/graph';
import type { ComfyWorkflowInput } from '../../../src/host/comfyui/workflowInput';
import { PipelineError } from '../../../src/shared/errors';
import { DEFAULT_MODELS } from '../../helpers/comfyServer';
import { objectInfo } from '../../helpers/comfyServer/objectInfo';
import { validatePrompt, type Prompt } from '../../helpers/comfyServer/validatePrompt';

const base = {
  checkpoint: 'v1-5-pruned-emaonly.safetensors',
  prompt: 'a lighthouse at dusk',
  negativePrompt: 'blurry',
  sampling: { sampler: 'dpmpp-2m-karras', steps: 24, guidanceScale: 6.5, seed: 1234567 },
  loras: [],
  controls: [],
} as const;

const txt2img: ComfyWorkflowInput = { ...base, kind: 'txt2img', width: 768, height: 512 };

function node(graph: ComfyGraph, link: ComfyValue): ComfyNode {
  expect(Array.isArray(link)).toBe(true);
  const target = graph[(link as ComfyLink)[0]];
  expect(target).toBeDefined();
  return target;
}
const only = (graph: ComfyGraph, classType: string): [string, ComfyNode] => {
  const found = Object.entries(graph).filter(([, n]) => n.class_type === classType);
  expect(found, classType).toHaveLength(1);
  return found[0];
};
const types = (graph: ComfyGraph): string[] => Object.values(graph).map((n) => n.class_type).sort();

/** The double's port of ComfyUI's validate_prompt, with the test's files listed and uploaded. */
function validate(built: BuiltGraph, uploads: string[] = []) {
  const models = { ...DEFAULT_MODELS, loras: [...DEFAULT_MODELS.loras, 'detail.safetensors'] };
  const check = (i: Record<string, unknown>) => (uploads.includes(String(i.image)) ? true : `Invalid image file: ${String(i.image)}`);
  return validatePrompt(structuredClone(built.graph) as Prompt, objectInfo(models, uploads), { LoadImage: { inputs: ['image'], check }, LoadImageMask: { inputs: ['image'], check } });
}

describe('txt2img graph', () => {
  const built = txt2imgGraph(txt2img);
  const g = built.graph;

  it('uses core nodes only, ending in SaveImage', () => {
    expect(types(g)).toEqual(['CLIPTextEncode', 'CLIPTextEncode', 'CheckpointLoaderSimple', 'EmptyLatentImage', 'KSampler', 'SaveImage', 'VAEDecode']);
    expect(g[built.outputNode].class_type).toBe('SaveImage');
    expect(g[built.outputNode].inputs.filename_prefix).toBe(SAVE_PREFIX);
  });

  it('links checkpoint → prompts → sampler → decoder → save, with the job’s values', () => {
    const [ckptId, ckpt] = only(g, 'CheckpointLoaderSimple');
    expect(ckpt.inputs).toEqual({ ckpt_name: 'v1-5-pruned-emaonly.safetensors' });
    const [, ks] = only(g, 'KSampler');
    expect(ks.inputs).toMatchObject({ seed: 1234567, steps: 24, cfg: 6.5, sampler_name: 'dpmpp_2m', scheduler: 'karras', denoise: 1 });
    expect(ks.inputs.model).toEqual([ckptId, 0]);
    expect(node(g, ks.inputs.positive).inputs).toEqual({ text: 'a lighthouse at dusk', clip: [ckptId, 1] });
    expect(node(g, ks.inputs.negative).inputs).toEqual({ text: 'blurry', clip: [ckptId, 1] });
    expect(node(g, ks.inputs.latent_image)).toEqual({ class_type: 'EmptyLatentImage', inputs: { width: 768, height: 512, batch_size: 1 } });
    const decode = node(g, g[built.outputNode].inputs.images);
    expect(decode.class_type).toBe('VAEDecode');
    expect(decode.inputs.vae).toEqual([ckptId, 2]);
    expect(node(g, decode.inputs.samples).class_type).toBe('KSampler');
  });

  it('passes ComfyUI’s validate_prompt (the double’s port), which does refuse a broken copy', () => {
    expect(validate(built)).toMatchObject({ ok: true, outputs: [built.outputNode] });
    const broken = structuredClone(built.graph) as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
    const [ksId] = only(g, 'KSampler');
    broken[ksId].inputs.steps = 20000;
    const result = validatePrompt(broken, objectInfo(DEFAULT_MODELS, []));
    expect(result.ok).toBe(false);
    expect(result.nodeErrors[ksId].errors[0]).toMatchObject({ type: 'value_bigger_than_max', extra_info: { input_name: 'steps' } });
  });

  it('is pure: the same job gives the same graph, and the job is not changed', () => {
    const frozen = Object.freeze({ ...txt2img, sampling: Object.freeze({ ...txt2img.sampling }) });
    expect(txt2imgGraph(frozen)).toEqual(built);
    expect(buildGraph(frozen)).toEqual(built);
  });

  it('guidance ≤ 1 (Atelier: CFG off) becomes cfg 1, where ComfyUI skips the unconditional pass', () => {
    for (const [guidance, cfg] of [[0, 1], [0.5, 1], [1, 1], [7.5, 7.5]] as const) {
      const ks = only(txt2imgGraph({ ...txt2img, sampling: { ...txt2img.sampling, guidanceScale: guidance } }).graph, 'KSampler')[1];
      expect(ks.inputs.cfg).toBe(cfg);
    }
  });

  it('refuses what ComfyUI would refuse, naming the setting, before anything is built', () => {
    const cases: Array<[ComfyWorkflowInput, string]> = [
      [{ ...txt2img, width: 500 }, 'width'],
      [{ ...txt2img, height: 16392 }, 'height'],
      [{ ...txt2img, sampling: { ...txt2img.sampling, steps: 0 } }, 'steps'],
      [{ ...txt2img, sampling: { ...txt2img.sampling, seed: -1 } }, 'seed'],
      [{ ...txt2img, sampling: { ...txt2img.sampling, sampler: 'pndm' } }, 'sampler'],
      [{ ...txt2img, checkpoint: ' ' }, 'model'],
      [{ ...txt2img, loras: [{ name: 'a.safetensors', weight: Number.NaN }] }, 'loras'],
      [{ ...txt2img, controls: [{ controlNet: 'c.pth', image: 'x.png', scale: 1, start: 0.6, end: 0.4 }] }, 'controls'],
      [{ ...base, kind: 'img2img', image: 'x.png', strength: 1.5 }, 'strength'],
      [{ ...base, kind: 'outpaint', image: 'x.png', strength: 1, feather: 4, extend: { left: 0, right: 0, top: 0, bottom: 0 } }, 'outpaint'],
    ];
    for (const [input, argument] of cases) {
      let caught: unknown;
      try {
        buildGraph(input);
      } catch (error) {
        caught = error;
      }
      expect(caught, argument).toBeInstanceOf(PipelineError);
      expect((caught as PipelineError).code).toBe('INVALID_INPUT');
      expect((caught as PipelineError).argument).toBe(argument);
    }
  });
});

describe('LoRA chain and ControlNet units', () => {
  const built = txt2imgGraph({
    ...txt2img,
    loras: [{ name: 'pixel-art-xl.safetensors', weight: 0.8 }, { name: 'detail.safetensors', weight: -0.5 }],
    controls: [
      { controlNet: 'control_v11p_sd15_openpose.pth', image: 'pose.png', scale: 0.9, start: 0, end: 0.6 },
      { controlNet: 'control_v11f1p_sd15_depth.pth', image: 'depth.png', scale: 1.2, start: 0.1, end: 1 },
    ],
  });
  const g = built.graph;

  it('chains LoraLoader on model and CLIP; the sampler and both prompts use the last one', () => {
    const [ckptId] = only(g, 'CheckpointLoaderSimple');
    const loras = Object.entries(g).filter(([, n]) => n.class_type === 'LoraLoader');
    expect(loras).toHaveLength(2);
    const [[firstId, first], [secondId, second]] = loras;
    expect(first.inputs).toEqual({ model: [ckptId, 0], clip: [ckptId, 1], lora_name: 'pixel-art-xl.safetensors', strength_model: 0.8, strength_clip: 0.8 });
    expect(second.inputs).toEqual({ model: [firstId, 0], clip: [firstId, 1], lora_name: 'detail.safetensors', strength_model: -0.5, strength_clip: -0.5 });
    expect(only(g, 'KSampler')[1].inputs.model).toEqual([secondId, 0]);
    for (const [, n] of Object.entries(g).filter(([, n]) => n.class_type === 'CLIPTextEncode')) expect(n.inputs.clip).toEqual([secondId, 1]);
  });

  it('chains ControlNetApplyAdvanced with each unit’s strength and step window', () => {
    const applies = Object.entries(g).filter(([, n]) => n.class_type === 'ControlNetApplyAdvanced');
    expect(applies).toHaveLength(2);
    const [[firstId, first], [secondId, second]] = applies;
    expect(node(g, first.inputs.positive).class_type).toBe('CLIPTextEncode');
    expect(node(g, first.inputs.positive).inputs.text).toBe('a lighthouse at dusk');
    expect(node(g, first.inputs.negative).inputs.text).toBe('blurry');
    expect(first.inputs).toMatchObject({ strength: 0.9, start_percent: 0, end_percent: 0.6 });
    expect(node(g, first.inputs.control_net).inputs).toEqual({ control_net_name: 'control_v11p_sd15_openpose.pth' });
    expect(node(g, first.inputs.image)).toEqual({ class_type: 'LoadImage', inputs: { image: 'pose.png' } });
    expect(node(g, first.inputs.vae).class_type).toBe('CheckpointLoaderSimple');
    expect(second.inputs).toMatchObject({ positive: [firstId, 0], negative: [firstId, 1], strength: 1.2, start_percent: 0.1, end_percent: 1 });
    expect(node(g, second.inputs.image).inputs).toEqual({ image: 'depth.png' });
    const ks = only(g, 'KSampler')[1];
    expect(ks.inputs.positive).toEqual([secondId, 0]);
    expect(ks.inputs.negative).toEqual([secondId, 1]);
  });

  it('passes validation with the files listed, and is refused when an image or a LoRA is missing', () => {
    expect(validate(built, ['pose.png', 'depth.png']).ok).toBe(true);
    const missing = validate(built, ['pose.png']);
    expect(missing.ok).toBe(false);
    expect(JSON.stringify(missing)).toContain('Invalid image file: depth.png');
    const noLora = validatePrompt(structuredClone(built.graph) as Prompt, objectInfo(DEFAULT_MODELS, ['pose.png', 'depth.png']));
    expect(noLora.ok).toBe(false);
    const loraErrors = Object.values(noLora.nodeErrors).filter((e) => e.class_type === 'LoraLoader');
    expect(loraErrors.map((e) => e.errors[0])).toEqual([expect.objectContaining({ type: 'value_not_in_list', details: "lora_name: 'detail.safetensors' not in ['pixel-art-xl.safetensors', 'style/watercolor_v2.safetensors']" })]);
  });
});

describe('image graphs', () => {
  it('img2img: LoadImage → VAEEncode → KSampler with denoise = strength', () => {
    const built = img2imgGraph({ ...base, kind: 'img2img', image: 'init.png', strength: 0.55 });
    const ks = only(built.graph, 'KSampler')[1];
    expect(ks.inputs.denoise).toBe(0.55);
    const encode = node(built.graph, ks.inputs.latent_image);
    expect(encode.class_type).toBe('VAEEncode');
    expect(node(built.graph, encode.inputs.pixels)).toEqual({ class_type: 'LoadImage', inputs: { image: 'init.png' } });
    expect(validate(built, ['init.png']).ok).toBe(true);
  });

  it('inpaint: the mask (red channel of a grey PNG) becomes a latent noise mask; no VAEEncodeForInpaint', () => {
    const built = inpaintGraph({ ...base, kind: 'inpaint', image: 'init.png', mask: 'mask.png', strength: 0.9 });
    const g = built.graph;
    expect(types(g)).not.toContain('VAEEncodeForInpaint');
    const ks = only(g, 'KSampler')[1];
    expect(ks.inputs.denoise).toBe(0.9);
    const noiseMask = node(g, ks.inputs.latent_image);
    expect(noiseMask.class_type).toBe('SetLatentNoiseMask');
    expect(node(g, noiseMask.inputs.mask)).toEqual({ class_type: 'LoadImageMask', inputs: { image: 'mask.png', channel: 'red' } });
    const encode = node(g, noiseMask.inputs.samples);
    expect(encode.class_type).toBe('VAEEncode');
    expect(node(g, encode.inputs.pixels).inputs).toEqual({ image: 'init.png' });
    expect(validate(built, ['init.png', 'mask.png']).ok).toBe(true);
  });

  it('outpaint: ImagePadForOutpaint’s image is encoded and its mask is the noise mask', () => {
    const built = outpaintGraph({ ...base, kind: 'outpaint', image: 'init.png', extend: { left: 64, right: 0, top: 32, bottom: 8 }, feather: 12, strength: 1 });
    const g = built.graph;
    const [padId, pad] = only(g, 'ImagePadForOutpaint');
    expect(pad.inputs).toMatchObject({ left: 64, right: 0, top: 32, bottom: 8, feathering: 12 });
    expect(node(g, pad.inputs.image).class_type).toBe('LoadImage');
    const noiseMask = node(g, only(g, 'KSampler')[1].inputs.latent_image);
    expect(noiseMask.inputs.mask).toEqual([padId, 1]);
    expect(node(g, noiseMask.inputs.samples).inputs.pixels).toEqual([padId, 0]);
    expect(validate(built, ['init.png']).ok).toBe(true);
  });

  it('upscale: UpscaleModelLoader + LoadImage → ImageUpscaleWithModel → SaveImage', () => {
    const built = upscaleGraph({ model: '4x-UltraSharp.pth', image: 'photo.png' });
    const g = built.graph;
    expect(types(g)).toEqual(['ImageUpscaleWithModel', 'LoadImage', 'SaveImage', 'UpscaleModelLoader']);
    const up = node(g, g[built.outputNode].inputs.images);
    expect(node(g, up.inputs.upscale_model).inputs).toEqual({ model_name: '4x-UltraSharp.pth' });
    expect(node(g, up.inputs.image).inputs).toEqual({ image: 'photo.png' });
    expect(validate(built, ['photo.png']).ok).toBe(true);
  });
});
