/** Image-to-image: encode the init image, noise it to the strength's timestep, denoise the rest. */
import type { Img2ImgRequest } from '../../shared/request';
import { rgbToNormalizedChw, type RgbImage } from '../ops/decodeImage';
import { chwOutOfFrame, frameNotice, framePolicy, planFrame, rgbIntoFrame } from '../ops/workingFrame';
import type { LoadedModel } from '../runtime/loadedModel';
import { checkRequest } from '../../shared/checkRequest';
import { controlStats, decodeControls, prepareControls } from './controls';
import type { PipelineHooks, PipelineOutput } from './hooks';
import { checkpoint, decodeLatents, denoise, startFromImage } from './stages';

export async function img2img(model: LoadedModel, request: Img2ImgRequest, init: RgbImage, hooks: PipelineHooks = {}): Promise<PipelineOutput> {
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    hooks.onWarning?.(message);
  };

  // 1. Check inputs; plan the working frame (padded to multiples of 64, scaled to the model's budget).
  checkRequest(request);
  const frame = planFrame(init.width, init.height, framePolicy(model.nativeSize, request.workingResolution, false));
  const notice = frameNotice(frame, 'the init image');
  if (notice) warn(notice);
  const { paddedWidth: width, paddedHeight: height } = frame;
  const controlImages = await decodeControls(request, init.width, init.height, warn);
  const control = await prepareControls(model, request.controls ?? [], await Promise.all(controlImages.map((c) => rgbIntoFrame(c, frame))), request.controlNetRoots ?? []);

  // 2–4. Scheduler cut for the strength, prompts, encoded image, start latents.
  const start = await startFromImage(model, request, rgbToNormalizedChw(await rgbIntoFrame(init, frame)), width, height, hooks, warn);

  // 5. Denoise the rest of the schedule.
  const started = performance.now();
  const final = await denoise(start.latents, {
    model,
    scheduler: start.scheduler,
    conditioning: start.conditioning,
    guidanceScale: request.sampling.guidanceScale,
    noise: start.noise,
    latentWidth: width / 8,
    latentHeight: height / 8,
    startIndex: start.startIndex,
    hooks,
    control,
  });
  const denoiseMs = performance.now() - started;

  // 6. Decode, and back to the image's own size.
  await checkpoint(hooks.signal);
  const calls = start.scheduler.timesteps.length - start.startIndex;
  hooks.onProgress?.('decoding', calls, calls);
  const image = await chwOutOfFrame(await decodeLatents(model, final, width, height), frame);
  return { image, width: init.width, height: init.height, sampler: start.sampler, unetCalls: calls, warnings, denoiseMs, ...controlStats(control) };
}
