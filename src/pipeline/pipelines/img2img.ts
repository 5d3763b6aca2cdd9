/** Image-to-image: encode the init image, noise it to the strength's timestep, denoise the rest. */
import { PipelineError } from '../../shared/errors';
import type { Img2ImgRequest } from '../../shared/request';
import { rgbToNormalizedChw, type RgbImage } from '../ops/decodeImage';
import { scale } from '../ops/tensor';
import { GaussianNoise } from '../random/gaussian';
import type { LoadedModel } from '../runtime/loadedModel';
import { checkRequest } from './checkRequest';
import type { PipelineHooks, PipelineOutput } from './hooks';
import { checkpoint, decodeLatents, denoise, encodePrompts, prepareScheduler } from './stages';

/**
 * The schedule cut of current diffusers (`get_timesteps`): init = min(⌊steps·strength⌋, steps),
 * denoising starts at index steps − init. Strength 0 runs no step; 1 runs them all.
 */
export function img2imgStartIndex(steps: number, strength: number, scheduleLength: number): number {
  const init = Math.min(Math.floor(steps * strength), steps);
  return Math.min(scheduleLength, Math.max(steps - init, 0));
}

export async function img2img(model: LoadedModel, request: Img2ImgRequest, init: RgbImage, hooks: PipelineHooks = {}): Promise<PipelineOutput> {
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    hooks.onWarning?.(message);
  };

  // 1. Check inputs.
  checkRequest(request);
  if (!model.vaeEncoder) throw new PipelineError('MODEL_UNSUPPORTED', `${model.folder.dir} has no vae_encoder/model.onnx; img2img needs the VAE encoder`);
  const { width, height } = init;
  const latentWidth = width / 8;
  const latentHeight = height / 8;

  // 2. Scheduler and the strength's start index.
  const { scheduler, sampler } = prepareScheduler(model, request.sampling, hooks);
  const startIndex = img2imgStartIndex(request.sampling.steps, request.strength, scheduler.timesteps.length);

  // 3. Encode the prompts and the init image (latents = scaling_factor · encoder(x)).
  hooks.onProgress?.('encoding', 0, scheduler.timesteps.length - startIndex);
  const conditioning = await encodePrompts(model, request.prompt, request.negativePrompt, request.sampling.guidanceScale, warn);
  const clean = scale(await model.vaeEncoder.encode(rgbToNormalizedChw(init), height, width), model.folder.vaeScalingFactor);

  // 4. Noise the clean latents to the first timestep that will run.
  const noise = new GaussianNoise(request.sampling.seed);
  const eps = noise.normal(clean.length);
  const latents = startIndex < scheduler.timesteps.length ? scheduler.addNoise(clean, eps, startIndex) : clean;

  // 5. Denoise the rest of the schedule.
  const started = performance.now();
  const final = await denoise(latents, { model, scheduler, conditioning, guidanceScale: request.sampling.guidanceScale, noise, latentWidth, latentHeight, startIndex, hooks });
  const denoiseMs = performance.now() - started;

  // 6. Decode.
  await checkpoint(hooks.signal);
  const calls = scheduler.timesteps.length - startIndex;
  hooks.onProgress?.('decoding', calls, calls);
  const image = await decodeLatents(model, final, width, height);
  return { image, width, height, sampler, unetCalls: calls, warnings, denoiseMs };
}
