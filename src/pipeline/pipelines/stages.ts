/** Stages shared by the task pipelines (each pipeline reads as numbered calls to these). */
import path from 'node:path';
import { PipelineError } from '../../shared/errors';
import type { SamplingOptions } from '../../shared/request';
import type { PromptChunk } from '../../shared/prompt/chunks';
import { encodeChunks, padChunks } from '../models/clip/promptEncoding';
import { guidanceScaleEmbedding } from '../models/sd/lcmGuidance';
import { denormalize_ } from '../ops/image';
import { allFinite, cfg, concatBatch, repeatInto_, scale } from '../ops/tensor';
import { GaussianNoise } from '../random/gaussian';
import { createScheduler, isKnownSchedulerClass, resolveSampler, type ResolvedSampler, type Scheduler } from '../schedulers';
import type { LoadedModel } from '../runtime/loadedModel';
import type { PipelineHooks } from './hooks';
import type { ControlPlan } from './controls';

/** Gives queued IPC messages (cancel) a chance to arrive, then throws if the job (`what`) was cancelled. */
export async function checkpoint(signal: AbortSignal | undefined, what = 'generation'): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (signal?.aborted) throw new PipelineError('CANCELLED', `${what} was cancelled`);
}

export function prepareScheduler(model: LoadedModel, sampling: SamplingOptions, hooks: PipelineHooks): { scheduler: Scheduler; sampler: ResolvedSampler } {
  const sampler = resolveSampler(sampling.sampler, model.folder.schedulerConfig);
  const className = model.folder.schedulerConfig.className;
  if (sampling.sampler === 'model-default' && !isKnownSchedulerClass(className)) {
    hooks.onWarning?.(
      `${path.join(model.folder.dir, 'scheduler', 'scheduler_config.json')}: _class_name ${JSON.stringify(className)} is not a scheduler Atelier implements, so Euler is used; choose a sampler to pick another`,
    );
  }
  const created = createScheduler(sampler, model.folder.schedulerConfig);
  const scheduler = hooks.adaptScheduler ? hooks.adaptScheduler(created) : created;
  try {
    scheduler.setTimesteps(sampling.steps);
  } catch (error) {
    throw new PipelineError('INVALID_INPUT', `${(error as Error).message} for the ${sampler} sampler`, { argument: 'steps' });
  }
  return { scheduler, sampler };
}

export interface Conditioning {
  /** [batch, seq, D]: [uncond, cond] under CFG, else [cond]. */
  readonly context: Float32Array;
  readonly seqLength: number;
  readonly batch: number;
  readonly useCfg: boolean;
  readonly timestepCond?: Float32Array;
}

/**
 * How many 77-token chunks the UNet's context takes. Unlimited when its sequence axis is dynamic (as
 * diffusers and optimum export it), else what its fixed length holds.
 */
function contextChunkLimit(model: LoadedModel): number {
  const seq = model.unet.contextInput.shape[1];
  return typeof seq === 'number' ? Math.max(1, Math.floor(seq / model.tokenizer.maxLength)) : Number.POSITIVE_INFINITY;
}

/**
 * Tokenizes and encodes the prompts with A1111's weighting and chunking (shared/prompt), the negative
 * and positive padded to the same number of chunks with empty-prompt chunks so CFG batches align; LCM-
 * distilled UNets take guidance as an embedding instead of CFG.
 */
export async function encodePrompts(
  model: LoadedModel,
  prompt: string,
  negativePrompt: string,
  guidanceScale: number,
  warn: (message: string) => void,
): Promise<Conditioning> {
  const distilledGuidance = model.unet.timestepCondInput !== undefined;
  const useCfg = !distilledGuidance && guidanceScale > 1;
  const { tokenizer, textEncoder } = model;
  const limit = contextChunkLimit(model);
  const chunksOf = (text: string, label: string): readonly PromptChunk[] => {
    const { chunks } = tokenizer.chunk(text);
    if (chunks.length <= limit) return chunks;
    const dropped = chunks.slice(limit).reduce((n, c) => n + c.ids.length, 0);
    warn(`${label} has ${chunks.length} chunks of ${tokenizer.chunkLength} tokens but this UNet takes a fixed ${tokenizer.maxLength * limit}-token context; the last ${dropped} token${dropped === 1 ? ' was' : 's were'} dropped (a UNet exported with a dynamic sequence axis takes any length)`);
    return chunks.slice(0, limit);
  };
  let cond = await encodeChunks(tokenizer, textEncoder, chunksOf(prompt, 'prompt'));
  let uncond = useCfg ? await encodeChunks(tokenizer, textEncoder, chunksOf(negativePrompt, 'negative prompt')) : undefined;
  if (uncond && uncond.chunks !== cond.chunks) {
    const empty = (await encodeChunks(tokenizer, textEncoder, [{ ids: [], weights: [] }])).hidden;
    const chunks = Math.max(cond.chunks, uncond.chunks);
    cond = padChunks(cond, empty, chunks);
    uncond = padChunks(uncond, empty, chunks);
  }
  await model.doneWith('textEncoder');
  if (!useCfg && negativePrompt.trim() !== '') {
    warn(distilledGuidance ? 'the negative prompt is ignored: LCM models have guidance distilled in' : 'the negative prompt is ignored when guidance is 1 or less');
  }
  let timestepCond: Float32Array | undefined;
  if (distilledGuidance) {
    const dim = model.unet.timestepCondInput?.shape[1];
    timestepCond = guidanceScaleEmbedding(guidanceScale, typeof dim === 'number' ? dim : 256);
  }
  return { context: uncond ? concatBatch([uncond.hidden, cond.hidden]) : cond.hidden, seqLength: cond.seqLength, batch: useCfg ? 2 : 1, useCfg, timestepCond };
}

export interface DenoiseArgs {
  readonly model: LoadedModel;
  readonly scheduler: Scheduler;
  readonly conditioning: Conditioning;
  readonly guidanceScale: number;
  readonly noise: GaussianNoise;
  readonly latentWidth: number;
  readonly latentHeight: number;
  /** First scheduler index to run (img2img starts part-way down the schedule). */
  readonly startIndex: number;
  /** Runs after each scheduler step with the index just completed (inpainting blends here). */
  readonly afterStep?: (latents: Float32Array, index: number) => Float32Array;
  /** ControlNets steering this run. */
  readonly control?: ControlPlan;
  /** 9-channel inpainting UNet: [5, h, w] mask + masked-image latents. */
  readonly inpaintChannels?: Float32Array;
  readonly hooks: PipelineHooks;
}

/** The denoising loop from `startIndex` to the end; returns the final latents. */
export async function denoise(latents: Float32Array, args: DenoiseArgs): Promise<Float32Array> {
  const { model, scheduler, conditioning, hooks } = args;
  const unet = args.control?.unet ?? model.unet;
  const timesteps = scheduler.timesteps;
  const total = timesteps.length - args.startIndex;
  const batchInput = new Float32Array(latents.length * conditioning.batch);
  const guidedBuffer = new Float32Array(latents.length);
  const stepNoise = (length: number): Float32Array => args.noise.normal(length);
  let current = latents;
  for (let i = args.startIndex; i < timesteps.length; i++) {
    await checkpoint(hooks.signal);
    const input = scheduler.scaleModelInput(current, i);
    const call = {
      sample: conditioning.useCfg ? repeatInto_(batchInput, input, 2) : input,
      batch: conditioning.batch,
      height: args.latentHeight,
      width: args.latentWidth,
      timestep: timesteps[i],
      encoderHiddenStates: conditioning.context,
      seqLength: conditioning.seqLength,
    };
    const extras = args.control ? await args.control.extras(i - args.startIndex, total, call) : {};
    const noisePred = await unet.predict({ ...call, ...extras, timestepCond: conditioning.timestepCond, inpaintChannels: args.inpaintChannels });
    const guided = conditioning.useCfg ? cfg(noisePred.subarray(0, input.length), noisePred.subarray(input.length), args.guidanceScale, guidedBuffer) : noisePred;
    current = scheduler.step(guided, i, current, { noise: stepNoise }).prevSample;
    if (args.afterStep) current = args.afterStep(current, i);
    if (!allFinite(current)) {
      throw new PipelineError('INFERENCE_FAILED', `the latents became NaN or infinite at step ${i + 1}: the model produced non-finite values (an fp16 model may be overflowing; try an fp32 export or another execution provider)`);
    }
    const step = i - args.startIndex + 1;
    hooks.onProgress?.('denoising', step, total);
    hooks.onStep?.(step - 1, total, current, args.latentWidth, args.latentHeight, timesteps[i]);
  }
  return current;
}

/** latents / scaling_factor → VAE decoder → [0,1] CHW image of the requested size. */
export async function decodeLatents(model: LoadedModel, latents: Float32Array, width: number, height: number): Promise<Float32Array> {
  await model.makeRoomToDecode(width, height);
  const decoded = await model.vaeDecoder.decode(scale(latents, 1 / model.folder.vaeScalingFactor), height / 8, width / 8);
  if (decoded.width !== width || decoded.height !== height) {
    throw new PipelineError('MODEL_INVALID', `the VAE decoder returned ${decoded.width}×${decoded.height} for a ${width}×${height} request; expected an 8× upsampling decoder`);
  }
  // The decoder output is a fresh buffer owned by this call; map it to [0, 1] in place.
  return denormalize_(decoded.image);
}

/** diffusers' img2img cut: init = min(⌊steps·strength⌋, steps); denoising starts at steps − init. */
export function strengthStartIndex(steps: number, strength: number, scheduleLength: number): number {
  return Math.min(scheduleLength, Math.max(steps - Math.min(Math.floor(steps * strength), steps), 0));
}

export interface ImageStart {
  readonly scheduler: Scheduler;
  readonly sampler: ResolvedSampler;
  /** First scheduler index to run for the requested strength. */
  readonly startIndex: number;
  readonly conditioning: Conditioning;
  /** scaling_factor · encoder(image): the clean latents of the input image. */
  readonly clean: Float32Array;
  readonly noise: GaussianNoise;
  /** The noise that takes `clean` to the start level (re-used by inpainting's blends). */
  readonly eps: Float32Array;
  /** `clean` noised to the first step that runs (or `clean` when no step runs). */
  readonly latents: Float32Array;
}

/**
 * What img2img and inpainting share: the scheduler cut for the strength, the prompts, the encoded
 * input image, and the start latents. The cut is current diffusers' `get_timesteps`:
 * init = min(⌊steps·strength⌋, steps), denoising starts at index steps − init.
 */
export async function startFromImage(
  model: LoadedModel,
  request: { readonly prompt: string; readonly negativePrompt: string; readonly sampling: SamplingOptions; readonly strength: number },
  image: Float32Array,
  width: number,
  height: number,
  hooks: PipelineHooks,
  warn: (message: string) => void,
): Promise<ImageStart> {
  if (!model.vaeEncoder) throw new PipelineError('MODEL_UNSUPPORTED', `${model.folder.dir} has no vae_encoder/model.onnx; starting from an image needs the VAE encoder`);
  const { scheduler, sampler } = prepareScheduler(model, request.sampling, hooks);
  const steps = request.sampling.steps;
  const length = scheduler.timesteps.length;
  const startIndex = strengthStartIndex(steps, request.strength, length);
  hooks.onProgress?.('encoding', 0, length - startIndex);
  const conditioning = await encodePrompts(model, request.prompt, request.negativePrompt, request.sampling.guidanceScale, warn);
  const clean = scale(await model.vaeEncoder.encode(image, height, width), model.folder.vaeScalingFactor);
  await model.doneWith('vaeEncoder');
  const noise = new GaussianNoise(request.sampling.seed);
  const eps = noise.normal(clean.length);
  const latents = startIndex < length ? scheduler.addNoise(clean, eps, startIndex) : clean;
  return { scheduler, sampler, startIndex, conditioning, clean, noise, eps, latents };
}
