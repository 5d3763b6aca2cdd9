/**
 * Reads and validates a diffusers/optimum ONNX model folder before any session is created: required
 * files, family, pickle refusal, external-data containment, scheduler and VAE configs.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../../shared/errors';
import { parseSchedulerConfig } from '../schedulers/config';
import type { SchedulerConfig } from '../schedulers/types';
import type { ControlType } from '../../shared/request';
import { controlTypeFromName } from '../../shared/controlNames';
import { checkExternalData, pickleRefusal, sniffUnsafeFormat } from './fileSafety';
import { checkRegularFileSync, FILE_KINDS, readBoundedSync } from '../../shared/files/boundedRead';

export const DEFAULT_VAE_SCALING_FACTOR = 0.18215;

export interface ModelFolder {
  readonly dir: string;
  readonly pipelineClass: string;
  /** model_index.json `_name_or_path` (the repo or checkpoint it was exported from), when it says one. */
  readonly nameOrPath: string | undefined;
  readonly textEncoder: string;
  readonly unet: string;
  readonly vaeDecoder: string;
  readonly vaeEncoder: string | undefined;
  /** Layout (c): `controlnet/model.onnx`, the UNet that takes ControlNet residuals. */
  readonly controlUnet: string | undefined;
  /** ControlNet type the folder name implies (for a fused UNet+ControlNet export). */
  readonly nameControlType: ControlType | undefined;
  readonly tokenizerDir: string;
  readonly schedulerConfig: SchedulerConfig;
  readonly vaeScalingFactor: number;
  /** The built-in demo model (atelier_demo.json marker). */
  readonly demo: boolean;
  /** Notes for the log (e.g. stray checkpoint files that are ignored). */
  readonly notes: readonly string[];
}

/** Pipeline classes this version runs (SD 1.x, SD 2.x, SD-Turbo, LCM-distilled SD). */
const SUPPORTED_CLASSES = new Set([
  'OnnxStableDiffusionPipeline',
  'OnnxStableDiffusionInpaintPipeline',
  'StableDiffusionInpaintPipeline',
  'StableDiffusionControlNetPipeline',
  'OnnxStableDiffusionControlNetPipeline',
  'StableDiffusionPipeline',
  'ORTStableDiffusionPipeline',
  'OnnxRuntimeStableDiffusionPipeline',
  'LatentConsistencyModelPipeline',
  'ORTLatentConsistencyModelPipeline',
]);

/** Names a family Atelier refuses, from the pipeline class or the folder layout. */
function unsupportedFamily(pipelineClass: string, dir: string): string | undefined {
  const c = pipelineClass.toLowerCase();
  if (c.includes('xl')) return 'SDXL';
  if (c.includes('stablediffusion3') || c.includes('sd3')) return 'Stable Diffusion 3';
  if (c.includes('flux')) return 'Flux';
  if (c.includes('kandinsky')) return 'Kandinsky';
  if (c.includes('pixart')) return 'PixArt';
  if (c.includes('upscale')) return 'Stable Diffusion x4 upscaler';
  if (existsSync(path.join(dir, 'text_encoder_2'))) return 'SDXL';
  if (existsSync(path.join(dir, 'transformer'))) return 'a transformer-based family (SD3/Flux)';
  if (!SUPPORTED_CLASSES.has(pipelineClass) && !c.includes('inpaint')) return pipelineClass;
  return undefined;
}

function readJson(file: string): Record<string, unknown> {
  const text = readBoundedSync(file, FILE_KINDS.modelConfig).toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new PipelineError('MODEL_INVALID', `${file} is not valid JSON: ${(error as Error).message}`, { argument: file });
  }
}

/** Lists files up to two levels deep (enough for the diffusers layout), capped to stay cheap. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (out.length >= 1000) return;
      const full = path.join(d, entry.name);
      if (entry.isDirectory() && depth < 2) walk(full, depth + 1);
      else if (entry.isFile()) out.push(full);
    }
  };
  walk(dir, 0);
  return out;
}

export function inspectModelFolder(dirInput: string): ModelFolder {
  // 1. The folder itself.
  if (typeof dirInput !== 'string' || dirInput.trim() === '') {
    throw new PipelineError('INVALID_INPUT', 'modelDir must be the path of a model folder, got an empty string', { argument: 'modelDir' });
  }
  const dir = path.resolve(dirInput);
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    throw new PipelineError('MODEL_MISSING_FILE', `model folder ${dir} does not exist`, { argument: 'modelDir' });
  }
  if (!stat.isDirectory()) {
    throw new PipelineError('INVALID_INPUT', `modelDir must be a folder, but ${dir} is a file; choose the folder that holds model_index.json`, { argument: 'modelDir' });
  }

  // 2. Checkpoint files: refuse pickles outright when nothing else is there, note them otherwise.
  const files = listFiles(dir);
  const pickles = files.filter((f) => sniffUnsafeFormat(f) !== undefined);
  const indexFile = path.join(dir, 'model_index.json');
  if (!existsSync(indexFile)) {
    if (pickles.length > 0) throw pickleRefusal(pickles[0]);
    if (files.length === 0) {
      throw new PipelineError('MODEL_MISSING_FILE', `model folder ${dir} is empty; it needs model_index.json and the text_encoder/, unet/, vae_decoder/, tokenizer/ and scheduler/ folders of an ONNX export`, { argument: 'modelDir' });
    }
    throw new PipelineError('MODEL_MISSING_FILE', `${indexFile} is missing; ${dir} is not a diffusers/optimum ONNX model folder`, { argument: indexFile });
  }

  // 3. Family.
  const index = readJson(indexFile);
  const pipelineClass = typeof index._class_name === 'string' ? index._class_name : 'OnnxStableDiffusionPipeline';
  const refused = unsupportedFamily(pipelineClass, dir);
  if (refused) {
    throw new PipelineError('MODEL_UNSUPPORTED', `${dir} is a ${refused} model (${pipelineClass}); this version of Atelier runs SD 1.x, SD 2.x, SD-Turbo and LCM ONNX models`, { argument: 'modelDir' });
  }

  // 4. Required files, all named at once.
  const required = {
    textEncoder: path.join(dir, 'text_encoder', 'model.onnx'),
    unet: path.join(dir, 'unet', 'model.onnx'),
    vaeDecoder: path.join(dir, 'vae_decoder', 'model.onnx'),
    vocab: path.join(dir, 'tokenizer', 'vocab.json'),
    merges: path.join(dir, 'tokenizer', 'merges.txt'),
    scheduler: path.join(dir, 'scheduler', 'scheduler_config.json'),
  };
  const missing = Object.values(required).filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new PipelineError('MODEL_MISSING_FILE', `model folder ${dir} is missing ${missing.map((f) => path.relative(dir, f)).join(', ')}`, { argument: missing[0] });
  }
  // Regular files only (a folder, FIFO or device in their place is named, never opened), within their caps.
  checkRegularFileSync(required.vocab, FILE_KINDS.tokenizer);
  checkRegularFileSync(required.merges, FILE_KINDS.tokenizer);
  checkRegularFileSync(required.scheduler, FILE_KINDS.modelConfig);
  const vaeEncoderFile = path.join(dir, 'vae_encoder', 'model.onnx');
  const vaeEncoder = existsSync(vaeEncoderFile) ? vaeEncoderFile : undefined;
  const controlUnetFile = path.join(dir, 'controlnet', 'model.onnx');
  const controlUnet = existsSync(controlUnetFile) ? controlUnetFile : undefined;

  // 5. Every graph we will load: a regular file, not a renamed checkpoint, external data contained.
  for (const onnx of [required.textEncoder, required.unet, required.vaeDecoder, ...(vaeEncoder ? [vaeEncoder] : []), ...(controlUnet ? [controlUnet] : [])]) {
    if (sniffUnsafeFormat(onnx, FILE_KINDS.onnxGraph)) throw pickleRefusal(onnx);
    checkExternalData(onnx, dir);
  }

  // 6. Configs.
  let schedulerConfig: SchedulerConfig;
  try {
    schedulerConfig = parseSchedulerConfig(readJson(required.scheduler));
  } catch (error) {
    if (error instanceof PipelineError) throw error;
    // The parser names the key; the message names the whole path of the file.
    throw new PipelineError('MODEL_INVALID', (error as Error).message.replace(/^scheduler_config\.json/, required.scheduler), { argument: required.scheduler });
  }
  const vaeConfigFile = [path.join(dir, 'vae_decoder', 'config.json'), path.join(dir, 'vae', 'config.json')].find(existsSync);
  const factor = vaeConfigFile ? readJson(vaeConfigFile).scaling_factor : undefined;
  const vaeScalingFactor = typeof factor === 'number' && Number.isFinite(factor) && factor > 0 ? factor : DEFAULT_VAE_SCALING_FACTOR;

  const notes = pickles.map((p) => `ignoring ${path.relative(dir, p)}: a pickle checkpoint, never loaded`);
  return {
    dir,
    pipelineClass,
    nameOrPath: typeof index._name_or_path === 'string' ? index._name_or_path : undefined,
    textEncoder: required.textEncoder,
    unet: required.unet,
    vaeDecoder: required.vaeDecoder,
    vaeEncoder,
    controlUnet,
    nameControlType: controlTypeFromName(path.basename(dir)),
    tokenizerDir: path.dirname(required.vocab),
    schedulerConfig,
    vaeScalingFactor,
    demo: existsSync(path.join(dir, 'atelier_demo.json')),
    notes,
  };
}
