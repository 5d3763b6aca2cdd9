/** Text-to-image, written out as numbered steps (diffusers' pipeline `__call__` is the model). */
import { PipelineError } from '../../shared/errors';
import type { Txt2ImgRequest } from '../../shared/request';
import { guidanceScaleEmbedding } from '../models/sd/lcmGuidance';
import { denormalize_ } from '../ops/image';
import { allFinite, cfg, concatBatch, repeatInto_, scale } from '../ops/tensor';
import { GaussianNoise } from '../random/gaussian';
import { createScheduler, resolveSampler, type ResolvedSampler, type Scheduler } from '../schedulers';
import type { LoadedModel } from '../runtime/loadedModel';
import { checkRequest } from './checkRequest';

export interface PipelineHooks {
  readonly signal?: AbortSignal;
  onProgress?(phase: 'encoding' | 'denoising' | 'decoding', step: number, totalSteps: number): void;
  /** Latents after each step (unscaled, [1,4,h,w]); previews are built from these. */
  onStep?(index: number, totalSteps: number, latents: Float32Array, latentWidth: number, latentHeight: number): void;
  onWarning?(message: string): void;
  /** Lets the oracle tests substitute a deliberately broken scheduler to prove the oracle catches it. */
  adaptScheduler?(scheduler: Scheduler): Scheduler;
}

export interface Txt2ImgOutput {
  /** [3, height, width] in [0, 1]. */
  readonly image: Float32Array;
  readonly width: number;
  readonly height: number;
  readonly sampler: ResolvedSampler;
  /** UNet calls made (PNDM makes steps + 1). */
  readonly unetCalls: number;
  readonly warnings: readonly string[];
  readonly denoiseMs: number;
}

/** Gives queued IPC messages (cancel) a chance to arrive, then throws if the job was cancelled. */
async function checkpoint(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (signal?.aborted) throw new PipelineError('CANCELLED', 'generation was cancelled');
}

export async function txt2img(model: LoadedModel, request: Txt2ImgRequest, hooks: PipelineHooks = {}): Promise<Txt2ImgOutput> {
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    hooks.onWarning?.(message);
  };

  // 1. Check inputs.
  checkRequest(request);
  const { steps, guidanceScale, seed } = request.sampling;
  const latentHeight = request.height / 8;
  const latentWidth = request.width / 8;

  // 2. Scheduler from the model's config, timesteps for this run.
  const sampler = resolveSampler(request.sampling.sampler, model.folder.schedulerConfig);
  const created = createScheduler(sampler, model.folder.schedulerConfig);
  const scheduler = hooks.adaptScheduler ? hooks.adaptScheduler(created) : created;
  try {
    scheduler.setTimesteps(steps);
  } catch (error) {
    throw new PipelineError('INVALID_INPUT', `${(error as Error).message} for the ${sampler} sampler`, { argument: 'steps' });
  }
  const timesteps = scheduler.timesteps;

  // 3. Encode the prompts. LCM-distilled UNets take guidance as an embedding instead of CFG.
  hooks.onProgress?.('encoding', 0, timesteps.length);
  const distilledGuidance = model.unet.timestepCondInput !== undefined;
  const useCfg = !distilledGuidance && guidanceScale > 1;
  const encode = async (text: string, label: string): Promise<{ hidden: Float32Array; seqLength: number }> => {
    const { ids, droppedTokens } = model.tokenizer.encodePadded(text);
    if (droppedTokens > 0) {
      warn(`${label} is longer than ${model.tokenizer.maxLength - 2} tokens; the last ${droppedTokens} token${droppedTokens === 1 ? ' was' : 's were'} dropped`);
    }
    return model.textEncoder.encode(ids);
  };
  const cond = await encode(request.prompt, 'prompt');
  const uncond = useCfg ? await encode(request.negativePrompt, 'negative prompt') : undefined;
  if (!useCfg && request.negativePrompt.trim() !== '') {
    warn(distilledGuidance ? 'the negative prompt is ignored: LCM models have guidance distilled in' : 'the negative prompt is ignored when guidance is 1 or less');
  }
  const batch = useCfg ? 2 : 1;
  const context = uncond ? concatBatch([uncond.hidden, cond.hidden]) : cond.hidden;
  let timestepCond: Float32Array | undefined;
  if (distilledGuidance) {
    const dim = model.unet.timestepCondInput?.shape[1];
    timestepCond = guidanceScaleEmbedding(guidanceScale, typeof dim === 'number' ? dim : 256);
  }

  // 4. Initial latents: seeded CPU noise scaled to the scheduler's starting σ.
  const noise = new GaussianNoise(seed);
  let latents = scale(noise.normal(4 * latentHeight * latentWidth), scheduler.initNoiseSigma);
  const stepNoise = (length: number): Float32Array => noise.normal(length);

  // 5. Denoising loop. The CFG batch buffer is reused across steps.
  const batchInput = new Float32Array(latents.length * batch);
  const guidedBuffer = new Float32Array(latents.length);
  const started = performance.now();
  for (let i = 0; i < timesteps.length; i++) {
    await checkpoint(hooks.signal);
    const t = timesteps[i];
    const input = scheduler.scaleModelInput(latents, i);
    const noisePred = await model.unet.predict({
      sample: useCfg ? repeatInto_(batchInput, input, 2) : input,
      batch,
      height: latentHeight,
      width: latentWidth,
      timestep: t,
      encoderHiddenStates: context,
      seqLength: cond.seqLength,
      timestepCond,
    });
    const guided = useCfg ? cfg(noisePred.subarray(0, input.length), noisePred.subarray(input.length), guidanceScale, guidedBuffer) : noisePred;
    latents = scheduler.step(guided, i, latents, { noise: stepNoise }).prevSample;
    if (!allFinite(latents)) {
      throw new PipelineError('INFERENCE_FAILED', `the latents became NaN or infinite at step ${i + 1}: the model produced non-finite values (an fp16 model may be overflowing; try an fp32 export or another execution provider)`);
    }
    hooks.onProgress?.('denoising', i + 1, timesteps.length);
    hooks.onStep?.(i, timesteps.length, latents, latentWidth, latentHeight);
  }
  const denoiseMs = performance.now() - started;

  // 6. Decode: undo the VAE scaling, run the decoder, map [−1,1] to [0,1].
  await checkpoint(hooks.signal);
  hooks.onProgress?.('decoding', timesteps.length, timesteps.length);
  const decoded = await model.vaeDecoder.decode(scale(latents, 1 / model.folder.vaeScalingFactor), latentHeight, latentWidth);
  if (decoded.width !== request.width || decoded.height !== request.height) {
    throw new PipelineError('MODEL_INVALID', `the VAE decoder returned ${decoded.width}×${decoded.height} for a ${request.width}×${request.height} request; expected an 8× upsampling decoder`);
  }
  return {
    // The decoder output is a fresh buffer owned by this call; map it to [0, 1] in place.
    image: denormalize_(decoded.image),
    width: request.width,
    height: request.height,
    sampler,
    unetCalls: timesteps.length,
    warnings,
    denoiseMs,
  };
}
