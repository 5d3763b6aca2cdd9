/**
 * Jobs → ComfyUI API graphs, as pure functions (one per kind), from core nodes only. Every graph ends
 * in one SaveImage node, whose id the client waits for.
 *
 * Inpainting uses VAEEncode + SetLatentNoiseMask, not VAEEncodeForInpaint: the latter paints the
 * masked pixels grey before encoding and grows the mask, which only suits inpainting checkpoints at
 * denoise 1. With a noise mask any checkpoint works, `strength` keeps its img2img meaning, and the
 * latent outside the mask stays the original's, so the generated pixels at the seam continue the
 * image. ComfyUI still returns a whole new (VAE round-tripped) image: the host pastes it back so
 * the unmasked pixels stay byte-identical to the source.
 */
import { checkWorkflowInput } from './checkInput';
import { GraphBuilder, out, type ComfyGraph, type ComfyLink } from './graph';
import { toComfySampler } from './samplers';
import type { ComfyUpscaleInput, ComfyWorkflowInput } from './workflowInput';

/** SaveImage's prefix: results land in the server's `output/atelier/` as `atelier_00001_.png`, … */
export const SAVE_PREFIX = 'atelier/atelier';

export interface BuiltGraph {
  readonly graph: ComfyGraph;
  /** The SaveImage node whose `executed` output holds the result. */
  readonly outputNode: string;
}

interface Conditioning {
  readonly model: ComfyLink;
  readonly vae: ComfyLink;
  readonly positive: ComfyLink;
  readonly negative: ComfyLink;
}

/** 1. Checkpoint, 2. the LoRA chain on model and CLIP, 3. both prompts, 4. the ControlNet units. */
function conditioning(g: GraphBuilder, input: ComfyWorkflowInput): Conditioning {
  const checkpoint = g.add('CheckpointLoaderSimple', { ckpt_name: input.checkpoint });
  let model = out(checkpoint, 0);
  let clip = out(checkpoint, 1);
  const vae = out(checkpoint, 2);
  for (const lora of input.loras) {
    const id = g.add('LoraLoader', { model, clip, lora_name: lora.name, strength_model: lora.weight, strength_clip: lora.weight });
    model = out(id, 0);
    clip = out(id, 1);
  }
  let positive = out(g.add('CLIPTextEncode', { text: input.prompt, clip }));
  let negative = out(g.add('CLIPTextEncode', { text: input.negativePrompt, clip }));
  for (const control of input.controls) {
    const controlNet = g.add('ControlNetLoader', { control_net_name: control.controlNet });
    const image = g.add('LoadImage', { image: control.image });
    const applied = g.add('ControlNetApplyAdvanced', {
      positive,
      negative,
      control_net: out(controlNet),
      image: out(image, 0),
      strength: control.scale,
      start_percent: control.start,
      end_percent: control.end,
      // Optional in core; ControlNets for newer families (SD3, Flux) need it, SD 1.x/SDXL ignore it.
      vae,
    });
    positive = out(applied, 0);
    negative = out(applied, 1);
  }
  return { model, vae, positive, negative };
}

/** Checks the job, then starts its graph with the model, LoRAs, prompts and ControlNets. */
function begin(input: ComfyWorkflowInput): { g: GraphBuilder; c: Conditioning } {
  checkWorkflowInput(input);
  const g = new GraphBuilder();
  return { g, c: conditioning(g, input) };
}

/** 5. KSampler, 6. VAEDecode, 7. SaveImage. */
function sampleAndSave(g: GraphBuilder, input: ComfyWorkflowInput, c: Conditioning, latent: ComfyLink, denoise: number): BuiltGraph {
  const { comfy } = toComfySampler(input.sampling.sampler);
  const sampled = g.add('KSampler', {
    model: c.model,
    seed: input.sampling.seed,
    steps: input.sampling.steps,
    // Atelier: guidance ≤ 1 disables CFG (conditional pass only). ComfyUI skips the unconditional pass
    // at exactly 1.0, and below 1 it would mix in the unconditional prediction instead.
    cfg: input.sampling.guidanceScale <= 1 ? 1 : input.sampling.guidanceScale,
    sampler_name: comfy.sampler_name,
    scheduler: comfy.scheduler,
    positive: c.positive,
    negative: c.negative,
    latent_image: latent,
    denoise,
  });
  const decoded = g.add('VAEDecode', { samples: out(sampled), vae: c.vae });
  const outputNode = g.add('SaveImage', { images: out(decoded), filename_prefix: SAVE_PREFIX });
  return { graph: g.build(), outputNode };
}

export function txt2imgGraph(input: Extract<ComfyWorkflowInput, { kind: 'txt2img' }>): BuiltGraph {
  const { g, c } = begin(input);
  const latent = g.add('EmptyLatentImage', { width: input.width, height: input.height, batch_size: 1 });
  return sampleAndSave(g, input, c, out(latent), 1);
}

export function img2imgGraph(input: Extract<ComfyWorkflowInput, { kind: 'img2img' }>): BuiltGraph {
  const { g, c } = begin(input);
  const image = g.add('LoadImage', { image: input.image });
  const latent = g.add('VAEEncode', { pixels: out(image, 0), vae: c.vae });
  return sampleAndSave(g, input, c, out(latent), input.strength);
}

export function inpaintGraph(input: Extract<ComfyWorkflowInput, { kind: 'inpaint' }>): BuiltGraph {
  const { g, c } = begin(input);
  const image = g.add('LoadImage', { image: input.image });
  // The mask is uploaded as a grey PNG: its red channel is the grey value (white = repaint).
  const mask = g.add('LoadImageMask', { image: input.mask, channel: 'red' });
  const encoded = g.add('VAEEncode', { pixels: out(image, 0), vae: c.vae });
  const latent = g.add('SetLatentNoiseMask', { samples: out(encoded), mask: out(mask) });
  return sampleAndSave(g, input, c, out(latent), input.strength);
}

export function outpaintGraph(input: Extract<ComfyWorkflowInput, { kind: 'outpaint' }>): BuiltGraph {
  const { g, c } = begin(input);
  const image = g.add('LoadImage', { image: input.image });
  // Pads with grey and returns the mask of the new area (feathered `feathering` px into the original).
  const padded = g.add('ImagePadForOutpaint', { image: out(image, 0), ...input.extend, feathering: input.feather });
  const encoded = g.add('VAEEncode', { pixels: out(padded, 0), vae: c.vae });
  const latent = g.add('SetLatentNoiseMask', { samples: out(encoded), mask: out(padded, 1) });
  return sampleAndSave(g, input, c, out(latent), input.strength);
}

export function upscaleGraph(input: ComfyUpscaleInput): BuiltGraph {
  const g = new GraphBuilder();
  const model = g.add('UpscaleModelLoader', { model_name: input.model });
  const image = g.add('LoadImage', { image: input.image });
  const upscaled = g.add('ImageUpscaleWithModel', { upscale_model: out(model), image: out(image, 0) });
  const outputNode = g.add('SaveImage', { images: out(upscaled), filename_prefix: SAVE_PREFIX });
  return { graph: g.build(), outputNode };
}

/** The graph for any generation job. */
export function buildGraph(input: ComfyWorkflowInput): BuiltGraph {
  switch (input.kind) {
    case 'txt2img':
      return txt2imgGraph(input);
    case 'img2img':
      return img2imgGraph(input);
    case 'inpaint':
      return inpaintGraph(input);
    case 'outpaint':
      return outpaintGraph(input);
  }
}

/** The core nodes a kind of job needs (checked against the server's /object_info before submitting). */
export function nodesFor(kind: ComfyWorkflowInput['kind'] | 'upscale', extras: { loras: boolean; controls: boolean }): string[] {
  if (kind === 'upscale') return ['UpscaleModelLoader', 'LoadImage', 'ImageUpscaleWithModel', 'SaveImage'];
  const nodes = ['CheckpointLoaderSimple', 'CLIPTextEncode', 'KSampler', 'VAEDecode', 'SaveImage'];
  if (kind === 'txt2img') nodes.push('EmptyLatentImage');
  else nodes.push('LoadImage', 'VAEEncode');
  if (kind === 'inpaint') nodes.push('LoadImageMask', 'SetLatentNoiseMask');
  if (kind === 'outpaint') nodes.push('ImagePadForOutpaint', 'SetLatentNoiseMask');
  if (extras.loras) nodes.push('LoraLoader');
  if (extras.controls) nodes.push('ControlNetLoader', 'ControlNetApplyAdvanced', 'LoadImage');
  return [...new Set(nodes)];
}
