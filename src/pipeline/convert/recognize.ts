/**
 * Tells the family of a single-file LDM checkpoint from its tensor names and shapes, and derives the
 * diffusers configs (SdSpec) from the shapes. Files that are something else (a LoRA, a lone VAE, SD3, Flux,
 * an SDXL refiner) or that lack a component are refused naming what was found and what is missing.
 */
import { PipelineError } from '../../shared/errors';
import { ldmLayersPerBlock, type ShapeOf } from './ldmKeys';
import type { Prediction, SdFamily, SdSpec, TextEncoderSpec, UnetSpec, VaeSpec } from './types';

export const SD_VAE_SCALE = 0.18215;
export const SDXL_VAE_SCALE = 0.13025;

const UNET = 'model.diffusion_model.';
const VAE = 'first_stage_model.';

function unsupported(file: string, what: string, fix: string): PipelineError {
  return new PipelineError('MODEL_UNSUPPORTED', `${file} is ${what}; ${fix}`, { argument: file });
}

function has(names: readonly string[], prefix: string): boolean {
  return names.some((n) => n.startsWith(prefix));
}

/** What a file holds before we decide it is a checkpoint; used for the refusals. */
function refuseOtherKinds(file: string, names: readonly string[]): void {
  if (names.some((n) => n.startsWith('lora_') || /\.lora_[AB]\.|\.lora\.(down|up)\.|\.lora_(down|up)\./.test(n))) {
    throw unsupported(file, 'a LoRA, not a checkpoint', 'choose a checkpoint as the model and pass the LoRA with --lora (CLI) or <lora:name:weight> in the prompt');
  }
  if (has(names, `${UNET}joint_blocks.`) || has(names, 'joint_blocks.')) throw unsupported(file, 'a Stable Diffusion 3 checkpoint', 'Atelier converts SD 1.x, SD 2.x and SDXL checkpoints');
  if (has(names, `${UNET}double_blocks.`) || has(names, 'double_blocks.')) throw unsupported(file, 'a Flux checkpoint', 'Atelier converts SD 1.x, SD 2.x and SDXL checkpoints');
  if (!has(names, UNET) && !has(names, VAE) && has(names, 'encoder.down.') && has(names, 'decoder.up.')) {
    throw unsupported(file, 'a standalone VAE', 'choose the full checkpoint as the model');
  }
  if (!has(names, UNET) && has(names, 'conv_in.') && has(names, 'down_blocks.')) {
    throw unsupported(file, 'a single diffusers component (its keys have no component prefix)', 'choose the diffusers folder that holds model_index.json, or a single-file checkpoint');
  }
  if (has(names, 'conditioner.embedders.0.model.') && !has(names, 'conditioner.embedders.1.')) {
    throw unsupported(file, 'an SDXL refiner', 'Atelier converts SDXL base checkpoints; the refiner is not supported yet');
  }
}

export interface Recognised {
  readonly family: SdFamily;
  readonly inpainting: boolean;
  readonly spec: Omit<SdSpec, 'prediction'>;
}

function shape(shapeOf: ShapeOf, name: string, file: string): readonly number[] {
  const s = shapeOf(name);
  if (!s) throw new PipelineError('MODEL_INVALID', `${file} lacks tensor "${name}", which every checkpoint of its family has`, { argument: file });
  return s;
}

function unetSpec(names: readonly string[], shapeOf: ShapeOf, file: string, family: SdFamily, pooledDim: number | undefined): UnetSpec {
  const lpb = ldmLayersPerBlock(names);
  if (lpb === undefined || lpb < 1) throw new PipelineError('MODEL_INVALID', `${file}: the UNet has no downsampler (input_blocks.N.0.op); it is not an SD UNet`, { argument: file });
  const convIn = shape(shapeOf, `${UNET}input_blocks.0.0.weight`, file);
  const inChannels = convIn[1];
  if (inChannels !== 4 && inChannels !== 9) {
    throw unsupported(file, `a UNet with ${inChannels} input channels (${inChannels === 8 ? 'InstructPix2Pix' : 'unknown kind'})`, 'Atelier converts text-to-image (4 channels) and inpainting (9 channels) UNets');
  }
  const inputIndices = new Set(names.map((n) => /^model\.diffusion_model\.input_blocks\.(\d+)\./.exec(n)?.[1]).filter((x): x is string => x !== undefined).map(Number));
  const levels = Math.round((Math.max(...inputIndices)) / (lpb + 1));
  const blockOutChannels: number[] = [];
  const downAttention: boolean[] = [];
  const depth: number[] = [];
  for (let level = 0; level < levels; level++) {
    const first = 1 + level * (lpb + 1);
    blockOutChannels.push(shape(shapeOf, `${UNET}input_blocks.${first}.0.in_layers.2.weight`, file)[0]);
    const attention = has(names, `${UNET}input_blocks.${first}.1.`);
    downAttention.push(attention);
    let d = 0;
    while (attention && shapeOf(`${UNET}input_blocks.${first}.1.transformer_blocks.${d}.norm1.weight`)) d++;
    depth.push(attention ? d : 1);
  }
  const attnKey = names.find((n) => n.startsWith(UNET) && n.endsWith('.attn2.to_k.weight'));
  if (!attnKey) throw new PipelineError('MODEL_INVALID', `${file}: the UNet has no cross-attention (attn2.to_k); it is not a text-conditioned SD UNet`, { argument: file });
  const crossAttentionDim = shape(shapeOf, attnKey, file)[1];
  const projIn = names.find((n) => n.startsWith(UNET) && n.endsWith('.proj_in.weight'));
  const useLinearProjection = projIn !== undefined && shape(shapeOf, projIn, file).length === 2;
  // SD 1.x has 8 heads everywhere; SD 2.x and SDXL have 64-channel heads (ComfyUI and diffusers configs agree).
  const attentionHeadDim = family === 'sd1' ? blockOutChannels.map(() => 8) : blockOutChannels.map((c) => c / 64);
  const out = shape(shapeOf, `${UNET}out.2.weight`, file);
  let addition: UnetSpec['addition'];
  if (family === 'sdxl') {
    const label = shape(shapeOf, `${UNET}label_emb.0.0.weight`, file);
    const pooled = pooledDim ?? 1280;
    addition = { timeEmbedDim: (label[1] - pooled) / 6, projectionClassEmbeddingsInputDim: label[1] };
  }
  return {
    inChannels,
    outChannels: out[0],
    blockOutChannels,
    layersPerBlock: lpb,
    attentionHeadDim,
    crossAttentionDim,
    transformerLayersPerBlock: depth,
    useLinearProjection,
    downBlockHasAttention: downAttention,
    upBlockHasAttention: [...downAttention].reverse(),
    ...(addition ? { addition } : {}),
  };
}

function vaeSpec(names: readonly string[], shapeOf: ShapeOf, file: string, family: SdFamily): VaeSpec {
  const levels = new Set(names.map((n) => /^first_stage_model\.encoder\.down\.(\d+)\./.exec(n)?.[1]).filter((x) => x !== undefined)).size;
  const blocks = new Set(names.map((n) => /^first_stage_model\.encoder\.down\.0\.block\.(\d+)\./.exec(n)?.[1]).filter((x) => x !== undefined)).size;
  const blockOutChannels = Array.from({ length: levels }, (_, i) => shape(shapeOf, `${VAE}encoder.down.${i}.block.0.conv1.weight`, file)[0]);
  const latentChannels = shape(shapeOf, `${VAE}post_quant_conv.weight`, file)[0];
  return { blockOutChannels, layersPerBlock: blocks, latentChannels, scalingFactor: family === 'sdxl' ? SDXL_VAE_SCALE : SD_VAE_SCALE };
}

function hfClipSpec(names: readonly string[], shapeOf: ShapeOf, prefix: string, file: string): TextEncoderSpec {
  const p = has(names, `${prefix}text_model.`) ? `${prefix}text_model.` : prefix;
  const token = shape(shapeOf, `${p}embeddings.token_embedding.weight`, file);
  const positions = shape(shapeOf, `${p}embeddings.position_embedding.weight`, file);
  const fc1 = shape(shapeOf, `${p}encoder.layers.0.mlp.fc1.weight`, file);
  const layers = new Set(names.map((n) => (n.startsWith(`${p}encoder.layers.`) ? n.slice(`${p}encoder.layers.`.length).split('.')[0] : undefined)).filter((x) => x !== undefined)).size;
  return { hiddenSize: token[1], layers, heads: token[1] / 64, intermediateSize: fc1[0], activation: 'quick_gelu', maxPositions: positions[0], vocabSize: token[0] };
}

function openClipSpec(names: readonly string[], shapeOf: ShapeOf, prefix: string, file: string, withProjection: boolean): TextEncoderSpec {
  const token = shape(shapeOf, `${prefix}token_embedding.weight`, file);
  const positions = shape(shapeOf, `${prefix}positional_embedding`, file);
  const fc = shape(shapeOf, `${prefix}transformer.resblocks.0.mlp.c_fc.weight`, file);
  const layers = new Set(names.map((n) => /^transformer\.resblocks\.(\d+)\./.exec(n.startsWith(prefix) ? n.slice(prefix.length) : '')?.[1]).filter((x) => x !== undefined)).size;
  const projection = withProjection ? shape(shapeOf, `${prefix}text_projection`, file)[1] : undefined;
  return {
    hiddenSize: token[1],
    // SD 2.x's encoder stops at the penultimate layer (diffusers drops the last); SDXL keeps all and reads hidden_states[-2].
    layers: withProjection ? layers : layers - 1,
    heads: token[1] / 64,
    intermediateSize: fc[0],
    activation: 'gelu',
    maxPositions: positions[0],
    vocabSize: token[0],
    ...(projection !== undefined ? { projectionDim: projection } : {}),
  };
}

/** Family, inpainting and configs of a single-file LDM checkpoint, or an error naming what is found and missing. */
export function recognizeLdm(file: string, names: readonly string[], shapeOf: ShapeOf): Recognised {
  refuseOtherKinds(file, names);
  const sd1Clip = has(names, 'cond_stage_model.transformer.');
  const sd2Clip = has(names, 'cond_stage_model.model.');
  const xlClips = has(names, 'conditioner.embedders.0.transformer.') && has(names, 'conditioner.embedders.1.model.');
  const hasUnet = has(names, UNET);
  const hasVae = has(names, VAE);
  const found: string[] = [];
  if (hasUnet) found.push('a UNet (model.diffusion_model.*)');
  if (hasVae) found.push('a VAE (first_stage_model.*)');
  if (sd1Clip) found.push('a CLIP-L text encoder (cond_stage_model.transformer.*)');
  if (sd2Clip) found.push('an OpenCLIP-H text encoder (cond_stage_model.model.*)');
  if (has(names, 'conditioner.embedders.0.')) found.push('SDXL text encoder 1 (conditioner.embedders.0.*)');
  if (has(names, 'conditioner.embedders.1.')) found.push('SDXL text encoder 2 (conditioner.embedders.1.*)');
  const missing: string[] = [];
  if (!hasUnet) missing.push('the UNet (model.diffusion_model.*)');
  if (!hasVae) missing.push('the VAE (first_stage_model.*)');
  if (!sd1Clip && !sd2Clip && !xlClips) {
    if (has(names, 'conditioner.embedders.')) missing.push('one of the two SDXL text encoders (conditioner.embedders.0.transformer.* and conditioner.embedders.1.model.*)');
    else missing.push('the text encoder (cond_stage_model.* or conditioner.embedders.*)');
  }
  if (missing.length > 0) {
    const what = found.length > 0 ? `it holds ${found.join(', ')}` : `none of its ${names.length} tensors${names.length > 0 ? ` (e.g. ${names.slice(0, 3).join(', ')})` : ''} belong to a Stable Diffusion checkpoint`;
    throw new PipelineError(
      'MODEL_INVALID',
      `${file} is not a complete Stable Diffusion checkpoint: ${what}, but it lacks ${missing.join(' and ')}. Choose a full checkpoint (the ones that work in A1111/ComfyUI without a separate VAE or text encoder).`,
      { argument: file },
    );
  }
  const family: SdFamily = xlClips ? 'sdxl' : sd2Clip ? 'sd2' : 'sd1';
  const textEncoders =
    family === 'sdxl'
      ? [hfClipSpec(names, shapeOf, 'conditioner.embedders.0.transformer.', file), openClipSpec(names, shapeOf, 'conditioner.embedders.1.model.', file, true)]
      : family === 'sd2'
        ? [openClipSpec(names, shapeOf, 'cond_stage_model.model.', file, false)]
        : [hfClipSpec(names, shapeOf, 'cond_stage_model.transformer.', file)];
  const unet = unetSpec(names, shapeOf, file, family, textEncoders[1]?.projectionDim);
  const context = family === 'sdxl' ? textEncoders[0].hiddenSize + textEncoders[1].hiddenSize : textEncoders[0].hiddenSize;
  if (unet.crossAttentionDim !== context) {
    throw new PipelineError('MODEL_INVALID', `${file}: the UNet cross-attends to ${unet.crossAttentionDim} channels but the text encoder gives ${context}; the file mixes parts of different models`, { argument: file });
  }
  return { family, inpainting: unet.inChannels === 9, spec: { family, unet, textEncoders, vae: vaeSpec(names, shapeOf, file, family) } };
}

/**
 * The prediction type, which the weights cannot tell reliably. In order:
 * 1. the caller's explicit choice (`--prediction v_prediction`);
 * 2. the file's own metadata (`modelspec.prediction_type`, the Stability AI model-spec field);
 * 3. a `v_pred` marker tensor (ComfyUI's convention for v-prediction SDXL merges);
 * 4. SD 2.x 4-channel UNets: ComfyUI's test — the last output transformer's norm1.bias spreads more
 *    (std > 0.09) in the 768-v models than in the 512 epsilon base;
 * 5. otherwise epsilon (SD 1.x, SDXL, SD 2.x inpainting, which Stability trained as epsilon).
 */
export async function choosePrediction(
  rec: Recognised,
  names: readonly string[],
  metadata: Readonly<Record<string, string>>,
  read: (name: string) => Promise<Float32Array>,
  explicit?: Prediction,
): Promise<{ prediction: Prediction; why: string }> {
  if (explicit) return { prediction: explicit, why: 'chosen explicitly' };
  const spec = metadata['modelspec.prediction_type']?.toLowerCase();
  if (spec === 'v' || spec === 'v_prediction') return { prediction: 'v_prediction', why: 'the file metadata says modelspec.prediction_type=v' };
  if (spec === 'epsilon' || spec === 'eps') return { prediction: 'epsilon', why: 'the file metadata says modelspec.prediction_type=epsilon' };
  if (names.includes('v_pred')) return { prediction: 'v_prediction', why: 'the file has a v_pred marker tensor' };
  if (rec.family === 'sd2' && !rec.inpainting) {
    const key = names.find((n) => /^model\.diffusion_model\.output_blocks\.(\d+)\.1\.transformer_blocks\.0\.norm1\.bias$/.test(n) && Number(/output_blocks\.(\d+)/.exec(n)?.[1]) === rec.spec.unet.blockOutChannels.length * (rec.spec.unet.layersPerBlock + 1) - 1);
    if (key) {
      const bias = await read(key);
      let mean = 0;
      for (const v of bias) mean += v;
      mean /= bias.length;
      let variance = 0;
      for (const v of bias) variance += (v - mean) ** 2;
      const std = Math.sqrt(variance / bias.length);
      return std > 0.09
        ? { prediction: 'v_prediction', why: `SD 2.x weights whose ${key} spreads like a v model's (std ${std.toFixed(3)} > 0.09, ComfyUI's test); override with the prediction option if wrong` }
        : { prediction: 'epsilon', why: `SD 2.x weights whose ${key} spreads like an epsilon model's (std ${std.toFixed(3)} ≤ 0.09, ComfyUI's test); override with the prediction option if wrong` };
    }
  }
  return { prediction: 'epsilon', why: `${rec.family === 'sdxl' ? 'SDXL' : rec.family === 'sd2' ? 'SD 2.x inpainting' : 'SD 1.x'} checkpoints are epsilon-prediction` };
}
