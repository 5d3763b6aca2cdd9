/**
 * The test double's /object_info: the core nodes Atelier uses, with the inputs, limits, outputs and
 * categories of ComfyUI's nodes.py (legacy INPUT_TYPES format) and comfy_extras/nodes_upscale_model.py
 * (a v3 node: its combo is `["COMBO", { options }]`). Sampler and scheduler lists are comfy/samplers.py's.
 */

/** comfy/samplers.py KSAMPLER_NAMES + ["ddim", "uni_pc", "uni_pc_bh2"]. */
export const COMFY_SAMPLERS = [
  'euler', 'euler_cfg_pp', 'euler_ancestral', 'euler_ancestral_cfg_pp', 'heun', 'heunpp2', 'dpm_2', 'dpm_2_ancestral',
  'lms', 'dpm_fast', 'dpm_adaptive', 'dpmpp_2s_ancestral', 'dpmpp_2s_ancestral_cfg_pp', 'dpmpp_sde', 'dpmpp_sde_gpu',
  'dpmpp_2m', 'dpmpp_2m_cfg_pp', 'dpmpp_2m_sde', 'dpmpp_2m_sde_gpu', 'dpmpp_2m_sde_heun', 'dpmpp_2m_sde_heun_gpu', 'dpmpp_3m_sde', 'dpmpp_3m_sde_gpu', 'ddpm', 'lcm',
  'ipndm', 'ipndm_v', 'deis', 'res_multistep', 'res_multistep_cfg_pp', 'res_multistep_ancestral', 'res_multistep_ancestral_cfg_pp',
  'gradient_estimation', 'gradient_estimation_cfg_pp', 'er_sde', 'seeds_2', 'seeds_3', 'sa_solver', 'sa_solver_pece',
  'ddim', 'uni_pc', 'uni_pc_bh2',
];
/** comfy/samplers.py SCHEDULER_HANDLERS keys. */
export const COMFY_SCHEDULERS = ['simple', 'sgm_uniform', 'karras', 'exponential', 'ddim_uniform', 'beta', 'normal', 'linear_quadratic', 'kl_optimal'];
/** nodes.py MAX_RESOLUTION. */
export const MAX_RESOLUTION = 16384;

export interface ServerModels {
  readonly checkpoints: readonly string[];
  readonly controlnets: readonly string[];
  readonly loras: readonly string[];
  readonly upscaleModels: readonly string[];
}

/** An input spec: `[type or combo list, options]`. */
export type InputSpec = readonly [string | readonly string[], Record<string, unknown>?];
export interface NodeInputs {
  readonly required: Record<string, InputSpec>;
  readonly optional?: Record<string, InputSpec>;
  readonly hidden?: Record<string, unknown>;
}

export interface NodeInfo {
  readonly input: NodeInputs;
  readonly input_order: Record<string, string[]>;
  readonly output: readonly string[];
  readonly output_is_list: readonly boolean[];
  readonly output_name: readonly string[];
  readonly name: string;
  readonly display_name: string;
  readonly description: string;
  readonly python_module: string;
  readonly category: string;
  readonly output_node: boolean;
}

function node(name: string, display: string, category: string, input: NodeInputs, output: string[], extra: { output_name?: string[]; output_node?: boolean; description?: string; python_module?: string } = {}): NodeInfo {
  const order: Record<string, string[]> = { required: Object.keys(input.required) };
  if (input.optional) order.optional = Object.keys(input.optional);
  if (input.hidden) order.hidden = Object.keys(input.hidden);
  return {
    input,
    input_order: order,
    output,
    output_is_list: output.map(() => false),
    output_name: extra.output_name ?? output,
    name,
    display_name: display,
    description: extra.description ?? '',
    python_module: extra.python_module ?? 'nodes',
    category,
    output_node: extra.output_node ?? false,
  };
}

export function objectInfo(models: ServerModels, inputFiles: readonly string[]): Record<string, NodeInfo> {
  const infos = [
    node('CheckpointLoaderSimple', 'Load Checkpoint', 'loaders', { required: { ckpt_name: [models.checkpoints, { tooltip: 'The name of the checkpoint (model) to load.' }] } }, ['MODEL', 'CLIP', 'VAE'], { description: 'Loads a diffusion model checkpoint, diffusion models are used to denoise latents.' }),
    node('CLIPTextEncode', 'CLIP Text Encode (Prompt)', 'conditioning', { required: { text: ['STRING', { multiline: true, dynamicPrompts: true }], clip: ['CLIP'] } }, ['CONDITIONING']),
    node('EmptyLatentImage', 'Empty Latent Image', 'latent', {
      required: {
        width: ['INT', { default: 512, min: 16, max: MAX_RESOLUTION, step: 8 }],
        height: ['INT', { default: 512, min: 16, max: MAX_RESOLUTION, step: 8 }],
        batch_size: ['INT', { default: 1, min: 1, max: 4096 }],
      },
    }, ['LATENT']),
    node('KSampler', 'KSampler', 'sampling', {
      required: {
        model: ['MODEL'],
        seed: ['INT', { default: 0, min: 0, max: 0xffffffffffffffff, control_after_generate: true }],
        steps: ['INT', { default: 20, min: 1, max: 10000 }],
        cfg: ['FLOAT', { default: 8.0, min: 0.0, max: 100.0, step: 0.1, round: 0.01 }],
        sampler_name: [COMFY_SAMPLERS],
        scheduler: [COMFY_SCHEDULERS],
        positive: ['CONDITIONING'],
        negative: ['CONDITIONING'],
        latent_image: ['LATENT'],
        denoise: ['FLOAT', { default: 1.0, min: 0.0, max: 1.0, step: 0.01 }],
      },
    }, ['LATENT'], { description: 'Uses the provided model, positive and negative conditioning to denoise the latent image.' }),
    node('VAEDecode', 'VAE Decode', 'latent', { required: { samples: ['LATENT'], vae: ['VAE'] } }, ['IMAGE']),
    node('VAEEncode', 'VAE Encode', 'latent', { required: { pixels: ['IMAGE'], vae: ['VAE'] } }, ['LATENT']),
    node('SetLatentNoiseMask', 'Set Latent Noise Mask', 'latent/inpaint', { required: { samples: ['LATENT'], mask: ['MASK'] } }, ['LATENT']),
    node('VAEEncodeForInpaint', 'VAE Encode (for Inpainting)', 'latent/inpaint', { required: { pixels: ['IMAGE'], vae: ['VAE'], mask: ['MASK'], grow_mask_by: ['INT', { default: 6, min: 0, max: 64, step: 1 }] } }, ['LATENT']),
    node('ImagePadForOutpaint', 'Pad Image for Outpainting', 'image', {
      required: {
        image: ['IMAGE'],
        left: ['INT', { default: 0, min: 0, max: MAX_RESOLUTION, step: 8 }],
        top: ['INT', { default: 0, min: 0, max: MAX_RESOLUTION, step: 8 }],
        right: ['INT', { default: 0, min: 0, max: MAX_RESOLUTION, step: 8 }],
        bottom: ['INT', { default: 0, min: 0, max: MAX_RESOLUTION, step: 8 }],
        feathering: ['INT', { default: 40, min: 0, max: MAX_RESOLUTION, step: 1 }],
      },
    }, ['IMAGE', 'MASK']),
    node('ControlNetLoader', 'Load ControlNet Model', 'loaders', { required: { control_net_name: [models.controlnets] } }, ['CONTROL_NET']),
    node('ControlNetApplyAdvanced', 'Apply ControlNet', 'conditioning/controlnet', {
      required: {
        positive: ['CONDITIONING'],
        negative: ['CONDITIONING'],
        control_net: ['CONTROL_NET'],
        image: ['IMAGE'],
        strength: ['FLOAT', { default: 1.0, min: 0.0, max: 10.0, step: 0.01 }],
        start_percent: ['FLOAT', { default: 0.0, min: 0.0, max: 1.0, step: 0.001 }],
        end_percent: ['FLOAT', { default: 1.0, min: 0.0, max: 1.0, step: 0.001 }],
      },
      optional: { vae: ['VAE'] },
    }, ['CONDITIONING', 'CONDITIONING'], { output_name: ['positive', 'negative'] }),
    node('LoraLoader', 'Load LoRA', 'loaders', {
      required: {
        model: ['MODEL'],
        clip: ['CLIP'],
        lora_name: [models.loras],
        strength_model: ['FLOAT', { default: 1.0, min: -100.0, max: 100.0, step: 0.01 }],
        strength_clip: ['FLOAT', { default: 1.0, min: -100.0, max: 100.0, step: 0.01 }],
      },
    }, ['MODEL', 'CLIP'], { description: 'LoRAs are used to modify diffusion and CLIP models, altering the way in which latents are denoised such as applying styles.' }),
    node('LoadImage', 'Load Image', 'image', { required: { image: [[...inputFiles].sort(), { image_upload: true }] } }, ['IMAGE', 'MASK']),
    node('LoadImageMask', 'Load Image (as Mask)', 'mask', { required: { image: [[...inputFiles].sort(), { image_upload: true }], channel: [['alpha', 'red', 'green', 'blue']] } }, ['MASK']),
    node('SaveImage', 'Save Image', 'image', {
      required: { images: ['IMAGE'], filename_prefix: ['STRING', { default: 'ComfyUI' }] },
      hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
    }, [], { output_node: true, description: 'Saves the input images to your ComfyUI output directory.' }),
    // A v3 node (comfy_api.latest io.Schema): combos are ["COMBO", { options }].
    node('UpscaleModelLoader', 'Load Upscale Model', 'loaders', { required: { model_name: ['COMBO', { options: models.upscaleModels }] } }, ['UPSCALE_MODEL'], { python_module: 'comfy_extras.nodes_upscale_model' }),
    node('ImageUpscaleWithModel', 'Upscale Image (using Model)', 'image/upscaling', { required: { upscale_model: ['UPSCALE_MODEL'], image: ['IMAGE'] } }, ['IMAGE'], { python_module: 'comfy_extras.nodes_upscale_model' }),
  ];
  return Object.fromEntries(infos.map((info) => [info.name, info]));
}
