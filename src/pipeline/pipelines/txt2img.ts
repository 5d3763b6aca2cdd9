/** Text-to-image, written out as numbered steps (diffusers' pipeline `__call__` is the model). */
import type { Txt2ImgRequest } from '../../shared/request';
import { scale } from '../ops/tensor';
import { chwOutOfFrame, planTxt2ImgFrame, rgbIntoFrame, txt2ImgFrameNotice } from '../ops/workingFrame';
import { GaussianNoise } from '../random/gaussian';
import type { LoadedModel } from '../runtime/loadedModel';
import { checkRequest } from '../../shared/checkRequest';
import { controlStats, decodeControls, prepareControls } from './controls';
import type { PipelineHooks, PipelineOutput } from './hooks';
import { checkpoint, decodeLatents, denoise, encodePrompts, prepareScheduler } from './stages';

export type { PipelineHooks } from './hooks';

export async function txt2img(model: LoadedModel, request: Txt2ImgRequest, hooks: PipelineHooks = {}): Promise<PipelineOutput> {
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    hooks.onWarning?.(message);
  };

  // 1. Check inputs; plan the frame (the next multiples of 64, which an exported UNet needs, centred).
  checkRequest(request);
  const { guidanceScale, seed } = request.sampling;
  const frame = planTxt2ImgFrame(request.width, request.height);
  const notice = txt2ImgFrameNotice(frame);
  if (notice) warn(notice);
  const { paddedWidth: width, paddedHeight: height } = frame;
  const latentHeight = height / 8;
  const latentWidth = width / 8;

  const controls = await decodeControls(request, request.width, request.height, warn);
  const control = await prepareControls(model, request.controls ?? [], await Promise.all(controls.map((c) => rgbIntoFrame(c, frame))), request.controlNetRoots ?? []);

  // 2. Scheduler from the model's config, timesteps for this run.
  const { scheduler, sampler } = prepareScheduler(model, request.sampling, hooks);

  // 3. Encode the prompts.
  hooks.onProgress?.('encoding', 0, scheduler.timesteps.length);
  const conditioning = await encodePrompts(model, request.prompt, request.negativePrompt, guidanceScale, warn);

  // 4. Initial latents: seeded CPU noise scaled to the scheduler's starting σ.
  const noise = new GaussianNoise(seed);
  const latents = scale(noise.normal(4 * latentHeight * latentWidth), scheduler.initNoiseSigma);

  // 5. Denoising loop.
  const started = performance.now();
  const final = await denoise(latents, { model, scheduler, conditioning, guidanceScale, noise, latentWidth, latentHeight, startIndex: 0, hooks, control });
  const denoiseMs = performance.now() - started;

  // 6. Decode.
  await checkpoint(hooks.signal);
  hooks.onProgress?.('decoding', scheduler.timesteps.length, scheduler.timesteps.length);
  const image = await chwOutOfFrame(await decodeLatents(model, final, width, height), frame);
  return { image, width: request.width, height: request.height, sampler, unetCalls: scheduler.timesteps.length, warnings, denoiseMs, ...controlStats(control) };
}
