/**
 * Inpainting with any 4-channel UNet by mask blending: after every step, latents outside the mask
 * are replaced by the original re-noised to the next step's level; after decoding, unmasked pixels
 * are pasted back from the original, so they are bit-exact, and the seam is blended only inside the
 * feather band. (The 9-channel inpainting UNet is a separate path, not in this version.)
 */
import { PipelineError } from '../../shared/errors';
import type { InpaintRequest } from '../../shared/request';
import { rgbToNormalizedChw, type RgbImage } from '../ops/decodeImage';
import { resizeNearest } from '../../shared/imageMath/resizeNearest';
import { blendLatents, compositeByMask, featherMask, latentMask } from '../ops/mask';
import type { LoadedModel } from '../runtime/loadedModel';
import { checkRequest } from './checkRequest';
import type { PipelineHooks, PipelineOutput } from './hooks';
import { checkpoint, decodeLatents, denoise, startFromImage } from './stages';

export interface MaskImage {
  readonly width: number;
  readonly height: number;
  /** Single channel, 0 = keep, 255 = repaint. */
  readonly data: Uint8Array;
}

/**
 * `keep` (optional, W×H, 1 = must stay original) pins pixels whatever the feathered mask says:
 * outpainting uses it so the seam blend happens only in the new area.
 */
export async function inpaint(model: LoadedModel, request: InpaintRequest, init: RgbImage, maskInput: MaskImage, hooks: PipelineHooks = {}, keep?: Uint8Array): Promise<PipelineOutput> {
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    hooks.onWarning?.(message);
  };

  // 1. Check inputs; bring the mask to the image size (with a notice) and read what it asks for.
  checkRequest(request);
  if (model.unet.inChannels === 9) throw new PipelineError('MODEL_UNSUPPORTED', 'this is a 9-channel inpainting UNet; its dedicated path is not in this version — use an ordinary SD model');
  const { width, height } = init;
  let maskData = maskInput.data;
  if (maskInput.width !== width || maskInput.height !== height) {
    warn(`the mask is ${maskInput.width}×${maskInput.height} but the image is ${width}×${height}; the mask was resized to fit`);
    maskData = resizeNearest(maskData, maskInput.width, maskInput.height, width, height);
  }
  const painted = maskData.reduce((n, v) => n + (v > 127 ? 1 : 0), 0);
  if (painted === 0) throw new PipelineError('INVALID_INPUT', 'the mask is empty: nothing to repaint (paint the area to change in white)', { argument: 'mask' });
  if (painted === maskData.length) warn('the mask covers the whole image: this is the same as img2img/txt2img');
  const pixelMask = featherMask(maskData, width, height, request.maskBlur);
  if (keep) for (let i = 0; i < pixelMask.length; i++) if (keep[i]) pixelMask[i] = 0;
  const lmask = latentMask(pixelMask, width, height);
  const latentWidth = width / 8;
  const latentHeight = height / 8;

  // 2–4. Scheduler cut for the strength, prompts, encoded original, start latents.
  const start = await startFromImage(model, request, rgbToNormalizedChw(init), width, height, hooks, warn);
  const { scheduler, clean, eps } = start;
  const last = scheduler.timesteps.length;

  // 5. Denoise, keeping the unmasked latents on the original's trajectory.
  const started = performance.now();
  const final = await denoise(start.latents, {
    model,
    scheduler,
    conditioning: start.conditioning,
    guidanceScale: request.sampling.guidanceScale,
    noise: start.noise,
    latentWidth,
    latentHeight,
    startIndex: start.startIndex,
    hooks,
    afterStep: (current, index) => blendLatents(current, index + 1 < last ? scheduler.addNoise(clean, eps, index + 1) : clean, lmask),
  });
  const denoiseMs = performance.now() - started;

  // 6. Decode, then paste the original back outside the mask.
  await checkpoint(hooks.signal);
  const calls = last - start.startIndex;
  hooks.onProgress?.('decoding', calls, calls);
  const generated = await decodeLatents(model, final, width, height);
  return { image: compositeByMask(generated, init.rgb, pixelMask), width, height, sampler: start.sampler, unetCalls: calls, warnings, denoiseMs };
}
