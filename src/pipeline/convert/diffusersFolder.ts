/**
 * A diffusers folder with safetensors weights (model_index.json, unet/, vae/, text_encoder/, text_encoder_2/,
 * each with config.json and `*.safetensors`, maybe sharded): its configs become the SdSpec, its weights a
 * component-prefixed WeightSource. PyTorch `.bin` weights are pickles and refused.
 */
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../../shared/errors';
import { FILE_KINDS, readBoundedSync } from '../../shared/files/boundedRead';
import { isInside, unsafeLocationReason } from '../models/fileSafety';
import { openSafetensors, pickleRefusalFor, type SafetensorsFile } from './safetensors';
import type { SourcedMapping } from './mappedSource';
import { SD_VAE_SCALE, SDXL_VAE_SCALE } from './recognize';
import type { Prediction, SdFamily, SdSpec, TextEncoderSpec, UnetSpec, VaeSpec } from './types';

type Json = Record<string, unknown>;

function readJson(file: string): Json {
  const text = readBoundedSync(file, FILE_KINDS.modelConfig).toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Json;
  } catch (error) {
    throw new PipelineError('MODEL_INVALID', `${file} is not valid JSON: ${(error as Error).message}`, { argument: file });
  }
}

function num(config: Json, key: string, file: string, fallback?: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new PipelineError('MODEL_INVALID', `${file}: "${key}" must be a number, got ${JSON.stringify(v)}`, { argument: file });
  return v;
}

function nums(config: Json, key: string, file: string, count: number, fallback?: number | number[]): number[] {
  const v = config[key] ?? fallback;
  if (typeof v === 'number') return Array.from({ length: count }, () => v);
  if (Array.isArray(v) && v.length === count && v.every((x) => typeof x === 'number')) return v as number[];
  throw new PipelineError('MODEL_INVALID', `${file}: "${key}" must be a number or a list of ${count} numbers, got ${JSON.stringify(v)}`, { argument: file });
}

function strings(config: Json, key: string, file: string): string[] {
  const v = config[key];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new PipelineError('MODEL_INVALID', `${file}: "${key}" must be a list of block names, got ${JSON.stringify(v)}`, { argument: file });
}

function unetFromConfig(c: Json, file: string): UnetSpec {
  const blockOutChannels = nums(c, 'block_out_channels', file, Array.isArray(c.block_out_channels) ? c.block_out_channels.length : 4);
  const n = blockOutChannels.length;
  const down = strings(c, 'down_block_types', file);
  const up = strings(c, 'up_block_types', file);
  const inChannels = num(c, 'in_channels', file);
  if (inChannels !== 4 && inChannels !== 9) throw new PipelineError('MODEL_UNSUPPORTED', `${file}: a UNet with in_channels ${inChannels}; Atelier converts 4-channel (text-to-image) and 9-channel (inpainting) UNets`, { argument: file });
  const cross = c.cross_attention_dim;
  const crossAttentionDim = Array.isArray(cross) ? num({ v: cross[0] }, 'v', file) : num(c, 'cross_attention_dim', file);
  const textTime = c.addition_embed_type === 'text_time';
  return {
    inChannels,
    outChannels: num(c, 'out_channels', file, 4),
    blockOutChannels,
    layersPerBlock: num(c, 'layers_per_block', file, 2),
    // diffusers' own quirk: when num_attention_heads is unset, attention_head_dim holds the head count.
    attentionHeadDim: nums(c, c.num_attention_heads !== undefined && c.num_attention_heads !== null ? 'num_attention_heads' : 'attention_head_dim', file, n, 8),
    crossAttentionDim,
    transformerLayersPerBlock: nums(c, 'transformer_layers_per_block', file, n, 1),
    useLinearProjection: c.use_linear_projection === true,
    downBlockHasAttention: down.map((t) => t.includes('CrossAttn')),
    upBlockHasAttention: up.map((t) => t.includes('CrossAttn')),
    ...(textTime ? { addition: { timeEmbedDim: num(c, 'addition_time_embed_dim', file), projectionClassEmbeddingsInputDim: num(c, 'projection_class_embeddings_input_dim', file) } } : {}),
  };
}

function textEncoderFromConfig(c: Json, file: string): TextEncoderSpec {
  const act = c.hidden_act ?? 'quick_gelu';
  if (act !== 'quick_gelu' && act !== 'gelu') throw new PipelineError('MODEL_UNSUPPORTED', `${file}: hidden_act ${JSON.stringify(act)}; Atelier's CLIP graph supports quick_gelu and gelu`, { argument: file });
  const archs = Array.isArray(c.architectures) ? c.architectures : [];
  return {
    hiddenSize: num(c, 'hidden_size', file),
    layers: num(c, 'num_hidden_layers', file),
    heads: num(c, 'num_attention_heads', file),
    intermediateSize: num(c, 'intermediate_size', file),
    activation: act,
    maxPositions: num(c, 'max_position_embeddings', file, 77),
    vocabSize: num(c, 'vocab_size', file, 49408),
    ...(archs.includes('CLIPTextModelWithProjection') ? { projectionDim: num(c, 'projection_dim', file) } : {}),
  };
}

function vaeFromConfig(c: Json, file: string, family: SdFamily): VaeSpec {
  const blockOutChannels = nums(c, 'block_out_channels', file, Array.isArray(c.block_out_channels) ? c.block_out_channels.length : 4);
  return {
    blockOutChannels,
    layersPerBlock: num(c, 'layers_per_block', file, 2),
    latentChannels: num(c, 'latent_channels', file, 4),
    scalingFactor: num(c, 'scaling_factor', file, family === 'sdxl' ? SDXL_VAE_SCALE : SD_VAE_SCALE),
  };
}

/** The safetensors files of one component folder: one file, a shard index, or the fp16 variant. */
function componentWeightFiles(dir: string, component: string, prefer: 'fp32' | 'fp16'): string[] {
  const folder = path.join(dir, component);
  if (!existsSync(folder)) throw new PipelineError('MODEL_MISSING_FILE', `diffusers folder ${dir} has no ${component}/ folder`, { argument: folder });
  const files = readdirSync(folder);
  const base = component === 'text_encoder' || component === 'text_encoder_2' ? 'model' : 'diffusion_pytorch_model';
  const variants = prefer === 'fp16' ? ['.fp16', ''] : ['', '.fp16'];
  for (const v of variants) {
    const index = `${base}${v}.safetensors.index.json`;
    if (files.includes(index)) {
      const file = path.join(folder, index);
      const map = readJson(file).weight_map;
      if (typeof map !== 'object' || map === null) throw new PipelineError('MODEL_INVALID', `${file} has no weight_map`, { argument: file });
      const shards = [...new Set(Object.values(map as Json))].map((s) => {
        const reason = typeof s === 'string' ? unsafeLocationReason(s) : 'it is not a file name';
        if (reason || typeof s !== 'string') throw new PipelineError('MODEL_UNSAFE', `${file} names shard ${JSON.stringify(s)}, refused because ${reason}`, { argument: file });
        return path.join(folder, s);
      });
      return shards;
    }
    const single = `${base}${v}.safetensors`;
    if (files.includes(single)) return [path.join(folder, single)];
  }
  const other = files.find((f) => f.endsWith('.safetensors'));
  if (other) return [path.join(folder, other)];
  const pickle = files.find((f) => /\.(bin|pt|pth|ckpt)$/.test(f));
  if (pickle) throw pickleRefusalFor(path.join(folder, pickle));
  throw new PipelineError('MODEL_MISSING_FILE', `${folder} has no .safetensors weights`, { argument: folder });
}

export interface OpenedFolder {
  readonly spec: SdSpec;
  readonly files: readonly SafetensorsFile[];
  readonly mappings: readonly SourcedMapping[];
  readonly prediction: { readonly prediction: Prediction; readonly why: string } | undefined;
  readonly pipelineClass: string;
}

export function isDiffusersFolder(dir: string): boolean {
  return existsSync(path.join(dir, 'model_index.json'));
}

/** Opens every weight file of a diffusers folder (close them via `files`). */
export async function openDiffusersFolder(dir: string, prefer: 'fp32' | 'fp16' = 'fp32'): Promise<OpenedFolder> {
  const index = readJson(path.join(dir, 'model_index.json'));
  const pipelineClass = typeof index._class_name === 'string' ? index._class_name : 'StableDiffusionPipeline';
  if (/Onnx|ORT/i.test(pipelineClass) || existsSync(path.join(dir, 'unet', 'model.onnx'))) {
    throw new PipelineError('INVALID_INPUT', `${dir} is already an ONNX model folder; load it directly instead of converting it`, { argument: dir });
  }
  const xl = 'text_encoder_2' in index || existsSync(path.join(dir, 'text_encoder_2'));
  if (/Refiner|Img2Img/.test(pipelineClass) && !('text_encoder' in index)) {
    throw new PipelineError('MODEL_UNSUPPORTED', `${dir} is an SDXL refiner (${pipelineClass}); Atelier converts SDXL base models`, { argument: dir });
  }
  const components = ['unet', 'vae', 'text_encoder', ...(xl ? ['text_encoder_2'] : [])];
  const configs = new Map(components.map((c) => [c, readJson(path.join(dir, c, 'config.json'))]));
  const unetConfigFile = path.join(dir, 'unet', 'config.json');
  const unet = unetFromConfig(configs.get('unet') ?? {}, unetConfigFile);
  const family: SdFamily = xl ? 'sdxl' : unet.crossAttentionDim === 1024 ? 'sd2' : 'sd1';
  const textEncoders = components.filter((c) => c.startsWith('text_encoder')).map((c) => textEncoderFromConfig(configs.get(c) ?? {}, path.join(dir, c, 'config.json')));
  const vae = vaeFromConfig(configs.get('vae') ?? {}, path.join(dir, 'vae', 'config.json'), family);

  const schedulerFile = path.join(dir, 'scheduler', 'scheduler_config.json');
  let prediction: OpenedFolder['prediction'];
  if (existsSync(schedulerFile)) {
    const p = readJson(schedulerFile).prediction_type;
    if (p === 'epsilon' || p === 'v_prediction') prediction = { prediction: p, why: `scheduler/scheduler_config.json says prediction_type=${p}` };
  }

  const realRoot = realpathSync(dir);
  const files: SafetensorsFile[] = [];
  const mappings: SourcedMapping[] = [];
  try {
    for (const component of components) {
      for (const weightFile of componentWeightFiles(dir, component, prefer)) {
        let real: string;
        try {
          real = realpathSync(weightFile);
        } catch {
          throw new PipelineError('MODEL_MISSING_FILE', `${weightFile} is missing`, { argument: weightFile });
        }
        if (!isInside(realRoot, real)) throw new PipelineError('MODEL_UNSAFE', `${weightFile} resolves to ${real}, outside the model folder ${realRoot}; refused`, { argument: weightFile });
        const st = await openSafetensors(weightFile);
        files.push(st);
        for (const entry of st.entries.values()) {
          if (entry.name.endsWith('.position_ids')) continue;
          mappings.push({ target: `${component}.${entry.name}`, source: entry.name, transform: { kind: 'copy' }, shape: entry.shape, file: st });
        }
      }
    }
  } catch (error) {
    await Promise.all(files.map((f) => f.close()));
    throw error;
  }
  return { spec: { family, prediction: prediction?.prediction ?? 'epsilon', unet, textEncoders, vae }, files, mappings, prediction, pipelineClass };
}
