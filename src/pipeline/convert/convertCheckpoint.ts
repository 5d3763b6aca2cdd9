/**
 * Turns a `.safetensors` checkpoint (or diffusers safetensors folder) plus LoRAs into an ONNX model folder the
 * existing pipeline loads unchanged, cached under `<cacheRoot>/<key>` where the key hashes the checkpoint's
 * content, each LoRA's content and weight, the precision and the prediction type. Steps:
 * 1. hash the inputs (remembered per file), and reuse a finished folder for the same key;
 * 2. open the checkpoint and LoRAs, merge, refuse LoRAs that match nothing;
 * 3. write into a temp folder beside the cache entry: the graphs (the injected WriteOnnxFolder), then the
 *    tokenizer, scheduler config, VAE configs and model_index.json;
 * 4. rename the temp folder into place (atomic), or delete it on error or cancel.
 * Runs in the pipeline worker or the CLI, never in the extension host.
 */
import { randomBytes, createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../../shared/errors';
import { FILE_KINDS, readBoundedSync } from '../../shared/files/boundedRead';
import { cancelled, hashFile } from './hashFile';
import { loraReport, parseLora, withLoras, type AppliedLora, type LoraReport } from './lora';
import { examples, openCheckpoint } from './openCheckpoint';
import { openSafetensors, type SafetensorsFile } from './safetensors';
import type { ConvertPrecision, ConvertProgress, Prediction, SdFamily, SdSpec, WriteOnnxFolder } from './types';

/** Bumped whenever the folders this writes change, so old cache entries are not reused. */
export const CONVERTER_VERSION = 1;
export const CONVERTED_MARKER = 'atelier_converted.json';

export interface LoraChoice {
  readonly file: string;
  readonly weight: number;
}

export interface ConversionProgress {
  readonly stage: 'hash' | ConvertProgress['stage'];
  readonly done: number;
  readonly total: number;
}

export interface ConvertRequest {
  /** A single-file `.safetensors` checkpoint or a diffusers folder with safetensors weights. */
  readonly checkpoint: string;
  readonly loras?: readonly LoraChoice[];
  readonly precision: ConvertPrecision;
  /** Overrides the prediction type the checkpoint implies. */
  readonly prediction?: Prediction;
  /** Where converted folders live (VS Code: globalStorage/converted; CLI: $XDG_CACHE_HOME/atelier/converted). */
  readonly cacheRoot: string;
  /** A CLIP tokenizer folder (vocab.json, merges.txt): the one Atelier ships. */
  readonly tokenizerDir: string;
  readonly writer: WriteOnnxFolder;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ConversionProgress) => void;
}

export interface LoraUse extends LoraReport {
  /** A1111's short LoRA hash (first 12 hex digits of the addnet hash) for the "Lora hashes" metadata field. */
  readonly shortHash: string;
}

export interface ConvertResult {
  readonly modelDir: string;
  readonly reused: boolean;
  readonly family: SdFamily;
  readonly inpainting: boolean;
  readonly prediction: Prediction;
  readonly predictionWhy: string;
  /** The checkpoint's SHA-256 (A1111's model hash is the first 10 digits; a diffusers folder hashes its weight files together). */
  readonly checkpointHash: string;
  readonly loras: readonly LoraUse[];
  readonly notes: readonly string[];
}

interface Marker {
  readonly version: number;
  readonly source: string;
  readonly checkpointHash: string;
  readonly family: SdFamily;
  readonly inpainting: boolean;
  readonly prediction: Prediction;
  readonly predictionWhy: string;
  readonly precision: ConvertPrecision;
  readonly loras: readonly LoraUse[];
  readonly notes: readonly string[];
}

const BETAS = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', num_train_timesteps: 1000, steps_offset: 1 } as const;

/** The scheduler the original repos ship (SD 1.x/2.x: PNDM; SDXL: Euler), with the checkpoint's prediction type. */
export function schedulerConfigFor(family: SdFamily, prediction: Prediction): Record<string, unknown> {
  if (family === 'sdxl') {
    return { _class_name: 'EulerDiscreteScheduler', ...BETAS, prediction_type: prediction, interpolation_type: 'linear', use_karras_sigmas: false, timestep_spacing: 'leading' };
  }
  return { _class_name: 'PNDMScheduler', ...BETAS, prediction_type: prediction, set_alpha_to_one: false, skip_prk_steps: true, clip_sample: false, timestep_spacing: 'leading' };
}

export function modelIndexFor(family: SdFamily, inpainting: boolean): Record<string, unknown> {
  const onnx = ['diffusers', 'OnnxRuntimeModel'];
  const base = {
    _diffusers_version: '0.21.4',
    _atelier_converted: true,
    requires_safety_checker: false,
    feature_extractor: [null, null],
    safety_checker: [null, null],
    scheduler: ['diffusers', family === 'sdxl' ? 'EulerDiscreteScheduler' : 'PNDMScheduler'],
    text_encoder: onnx,
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: onnx,
    vae_decoder: onnx,
    vae_encoder: onnx,
  };
  if (family === 'sdxl') {
    return { ...base, _class_name: inpainting ? 'ORTStableDiffusionXLInpaintPipeline' : 'ORTStableDiffusionXLPipeline', text_encoder_2: onnx, tokenizer_2: ['transformers', 'CLIPTokenizer'] };
  }
  return { ...base, _class_name: inpainting ? 'OnnxStableDiffusionInpaintPipeline' : 'OnnxStableDiffusionPipeline' };
}

/** OpenCLIP's tokenizer (SD 2.x, SDXL's second) is CLIP's vocabulary padded with "!" instead of <|endoftext|>. */
function writeTokenizer(from: string, to: string, openClip: boolean): void {
  mkdirSync(to, { recursive: true });
  for (const f of ['vocab.json', 'merges.txt']) {
    if (!existsSync(path.join(from, f))) throw new PipelineError('MODEL_MISSING_FILE', `the packaged tokenizer ${path.join(from, f)} is missing; reinstall Atelier`, { argument: from });
    cpSync(path.join(from, f), path.join(to, f));
  }
  const special = { bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>', pad_token: openClip ? '!' : '<|endoftext|>' };
  writeFileSync(path.join(to, 'special_tokens_map.json'), JSON.stringify(special, null, 2));
  writeFileSync(path.join(to, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 77, do_lower_case: true, ...special, tokenizer_class: 'CLIPTokenizer' }, null, 2));
}

function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Everything but the graphs: tokenizers, scheduler, VAE configs, model_index.json. */
export function writeSideFiles(dir: string, spec: SdSpec, inpainting: boolean, tokenizerDir: string, schedulerOverride?: Record<string, unknown>, nameOrPath?: string): void {
  writeTokenizer(tokenizerDir, path.join(dir, 'tokenizer'), spec.family === 'sd2');
  if (spec.family === 'sdxl') writeTokenizer(tokenizerDir, path.join(dir, 'tokenizer_2'), true);
  writeJson(path.join(dir, 'scheduler', 'scheduler_config.json'), schedulerOverride ?? schedulerConfigFor(spec.family, spec.prediction));
  const vae = { _class_name: 'AutoencoderKL', block_out_channels: spec.vae.blockOutChannels, layers_per_block: spec.vae.layersPerBlock, latent_channels: spec.vae.latentChannels, scaling_factor: spec.vae.scalingFactor };
  writeJson(path.join(dir, 'vae_decoder', 'config.json'), vae);
  writeJson(path.join(dir, 'vae_encoder', 'config.json'), vae);
  // _name_or_path keeps the checkpoint's name (e.g. sd_turbo.safetensors) in the hashed cache folder: the worker reads Turbo from it.
  writeJson(path.join(dir, 'model_index.json'), { ...modelIndexFor(spec.family, inpainting), ...(nameOrPath ? { _name_or_path: nameOrPath } : {}) });
}

function readMarker(dir: string): Marker | undefined {
  try {
    const m = JSON.parse(readFileSync(path.join(dir, CONVERTED_MARKER), 'utf8')) as Marker;
    return m.version === CONVERTER_VERSION ? m : undefined;
  } catch {
    return undefined;
  }
}

function resultFrom(dir: string, m: Marker, reused: boolean): ConvertResult {
  return { modelDir: dir, reused, family: m.family, inpainting: m.inpainting, prediction: m.prediction, predictionWhy: m.predictionWhy, checkpointHash: m.checkpointHash, loras: m.loras, notes: m.notes };
}

/** The folder a request converts into, without converting (hashes are remembered, so this is cheap after the first time). */
async function cacheKey(request: ConvertRequest, checkpointFiles: readonly string[], progress: (p: ConversionProgress) => void): Promise<{ key: string; checkpointHash: string; loraHashes: string[] }> {
  const memoDir = path.join(request.cacheRoot, 'hashes');
  const all = [...checkpointFiles, ...(request.loras ?? []).map((l) => l.file)];
  let doneFiles = 0;
  const hashes: string[] = [];
  for (const [i, file] of all.entries()) {
    const lora = i >= checkpointFiles.length;
    hashes.push(
      await hashFile(file, {
        afterHeader: lora,
        memoDir,
        signal: request.signal,
        onBytes: (done, total) => progress({ stage: 'hash', done: doneFiles * 1000 + Math.round((done / Math.max(1, total)) * 1000), total: all.length * 1000 }),
      }),
    );
    doneFiles++;
  }
  const checkpointHashes = hashes.slice(0, checkpointFiles.length);
  const loraHashes = hashes.slice(checkpointFiles.length);
  const checkpointHash = checkpointHashes.length === 1 ? checkpointHashes[0] : createHash('sha256').update(checkpointHashes.join('\n')).digest('hex');
  const key = createHash('sha256')
    .update(JSON.stringify({ v: CONVERTER_VERSION, checkpointHash, loras: (request.loras ?? []).map((l, i) => [loraHashes[i], l.weight]), precision: request.precision, prediction: request.prediction ?? null }))
    .digest('hex')
    .slice(0, 32);
  return { key, checkpointHash, loraHashes };
}

export async function convertCheckpoint(request: ConvertRequest): Promise<ConvertResult> {
  const progress = (p: ConversionProgress): void => request.onProgress?.(p);
  const check = (): void => {
    if (request.signal?.aborted) throw cancelled();
  };
  for (const l of request.loras ?? []) {
    if (!Number.isFinite(l.weight)) throw new PipelineError('INVALID_INPUT', `LoRA weight for ${l.file} must be a number, got ${l.weight}`, { argument: 'lora' });
  }
  check();

  // 1. Open (validates before any expensive work), hash, reuse.
  const opened = await openCheckpoint(request.checkpoint, { prediction: request.prediction });
  const loraFiles: SafetensorsFile[] = [];
  try {
    const { key, checkpointHash, loraHashes } = await cacheKey(request, opened.files, progress);
    const finalDir = path.join(request.cacheRoot, key);
    const existing = readMarker(finalDir);
    if (existing) return resultFrom(finalDir, existing, true);

    // 2. LoRAs.
    const applied: AppliedLora[] = [];
    for (const choice of request.loras ?? []) {
      const file = await openSafetensors(choice.file);
      loraFiles.push(file);
      const lora = parseLora(file, opened.weights, opened.spec.unet.layersPerBlock);
      if (lora.modules.length === 0) {
        throw new PipelineError(
          'MODEL_INVALID',
          `LoRA ${choice.file} changes none of this ${opened.spec.family.toUpperCase()} model's weights (${lora.unmatched.length} keys, e.g. ${examples(lora.unmatched, 3)}); it was made for another model family or is a format Atelier does not merge (LoHa, LoKr)`,
          { argument: choice.file },
        );
      }
      applied.push({ lora, weight: choice.weight });
    }
    const loraUses: LoraUse[] = applied.map((a, i) => ({ ...loraReport(a), shortHash: loraHashes[i].slice(0, 12) }));
    const notes = [...opened.notes, ...loraUses.filter((l) => l.unmatched > 0).map((l) => `LoRA ${l.file}: ${l.unmatched} keys match no weight of this model and were not applied (${examples(l.examples, 5)})`)];
    const weights = applied.length > 0 ? withLoras(opened.weights, applied) : opened.weights;
    check();

    // 3. Write into a temp folder that provably belongs to this conversion.
    mkdirSync(request.cacheRoot, { recursive: true });
    const tmp = path.join(request.cacheRoot, `.tmp-${key}-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(tmp);
    try {
      await request.writer(weights, opened.spec, tmp, { precision: request.precision, signal: request.signal, onProgress: progress });
      check();
      progress({ stage: 'files', done: 0, total: 1 });
      let scheduler: Record<string, unknown> | undefined;
      if (opened.layout === 'diffusers-folder') {
        const own = path.join(request.checkpoint, 'scheduler', 'scheduler_config.json');
        if (existsSync(own)) scheduler = { ...(JSON.parse(readBoundedSync(own, FILE_KINDS.modelConfig).toString('utf8')) as Record<string, unknown>), prediction_type: opened.spec.prediction };
      }
      writeSideFiles(tmp, opened.spec, opened.inpainting, request.tokenizerDir, scheduler, path.basename(request.checkpoint));
      const marker: Marker = {
        version: CONVERTER_VERSION,
        source: path.resolve(request.checkpoint),
        checkpointHash,
        family: opened.spec.family,
        inpainting: opened.inpainting,
        prediction: opened.spec.prediction,
        predictionWhy: opened.predictionWhy,
        precision: request.precision,
        loras: loraUses,
        notes,
      };
      writeJson(path.join(tmp, CONVERTED_MARKER), marker);
      progress({ stage: 'files', done: 1, total: 1 });
      check();
      // 4. Into place. Another process may have finished the same key first: keep theirs.
      try {
        renameSync(tmp, finalDir);
      } catch (error) {
        const raced = readMarker(finalDir);
        if (!raced) throw error;
        rmSync(tmp, { recursive: true, force: true });
        return resultFrom(finalDir, raced, true);
      }
      return resultFrom(finalDir, marker, false);
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true });
      throw error;
    }
  } finally {
    await Promise.all([opened.close(), ...loraFiles.map((f) => f.close())]);
  }
}
