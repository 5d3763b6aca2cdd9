/**
 * Inpainting, chosen from the model: a 9-channel inpainting UNet gets the mask and the masked
 * image's latents as extra input channels; any 4-channel UNet inpaints by mask blending (after every
 * step, latents outside the mask are replaced by the original re-noised to the next level). Either
 * way, after decoding the original is pasted back outside the mask, so those pixels are bit-exact,
 * and the seam is blended only inside the feather band. "Only masked" crops around the mask,
 * generates the crop at the model's native size and pastes it back.
 */
import { PipelineError } from '../../shared/errors';
import { copyRect, type Rect } from '../../shared/canvas/rect';
import { resizeNearest } from '../../shared/imageMath/resizeNearest';
import type { InpaintRequest } from '../../shared/request';
import { cropRgb, resizeRgb, rgbToNormalizedChw, rgbToUnitChw, type RgbImage } from '../ops/decodeImage';
import { chwToRgb8 } from '../ops/image';
import { blendLatents, featherMask, latentMask } from '../ops/mask';
import { cropRegion, maskBounds, processingSize } from '../ops/maskRegion';
import { concatBatch, scale } from '../ops/tensor';
import type { LoadedModel } from '../runtime/loadedModel';
import { checkRequest } from './checkRequest';
import { controlStats, decodeControls, prepareControls } from './controls';
import type { PipelineHooks, PipelineOutput } from './hooks';
import { checkpoint, decodeLatents, denoise, startFromImage } from './stages';

export interface MaskImage {
  readonly width: number;
  readonly height: number;
  /** Single channel, 0 = keep, 255 = repaint. */
  readonly data: Uint8Array;
}

type Warn = (message: string) => void;

/** What one repaint pass (whole image or crop) gets and gives back. */
interface RepaintInput {
  readonly image: RgbImage;
  /** Hard mask u8 at the image size (255 = repaint). */
  readonly mask: Uint8Array;
  /** Feathered [0,1] mask at the image size, with pinned pixels zeroed. */
  readonly soft: Float32Array;
  readonly controls: readonly RgbImage[];
}

/**
 * `keep` (optional, W×H, 1 = must stay original) pins pixels whatever the feathered mask says:
 * outpainting uses it so the seam blend happens only in the new area.
 */
export async function inpaint(model: LoadedModel, request: InpaintRequest, init: RgbImage, maskInput: MaskImage, hooks: PipelineHooks = {}, keep?: Uint8Array): Promise<PipelineOutput> {
  const warnings: string[] = [];
  const warn: Warn = (message) => {
    warnings.push(message);
    hooks.onWarning?.(message);
  };

  // 1. Check inputs; bring the mask to the image size (with a notice) and read what it asks for.
  checkRequest(request);
  const { width, height } = init;
  let mask = maskInput.data;
  if (maskInput.width !== width || maskInput.height !== height) {
    warn(`the mask is ${maskInput.width}×${maskInput.height} but the image is ${width}×${height}; the mask was resized to fit`);
    mask = resizeNearest(mask, maskInput.width, maskInput.height, width, height);
  }
  const bounds = maskBounds(mask, width, height);
  if (!bounds) throw new PipelineError('INVALID_INPUT', 'the mask is empty: nothing to repaint (paint the area to change in white)', { argument: 'mask' });
  if (bounds.width === width && bounds.height === height && mask.every((v) => v > 127)) warn('the mask covers the whole image: this is the same as img2img/txt2img');
  const soft = featherMask(mask, width, height, request.maskBlur);
  if (keep) for (let i = 0; i < soft.length; i++) if (keep[i]) soft[i] = 0;
  const controls = await decodeControls(request, width, height, warn);

  // 2. The region to generate: the whole image, or (only masked) the mask's box plus padding and the feather reach.
  const region = request.onlyMasked ? cropRegion(bounds, request.onlyMasked.padding + 3 * request.maskBlur, width, height) : { x: 0, y: 0, width, height };
  const whole = region.width === width && region.height === height;

  // 3. Repaint it, at the model's native size when it is a small crop.
  const repainted = whole
    ? await repaint(model, request, { image: init, mask, soft, controls }, hooks, warn)
    : await repaintCrop(model, request, { image: init, mask, soft, controls }, region, hooks, warn);

  // 4. Paste the original back outside the mask; blend only inside the feather band.
  return { ...repainted, image: pasteInto(init, soft, repainted.generated, region), width, height, warnings };
}

interface Repainted extends Omit<PipelineOutput, 'image' | 'width' | 'height' | 'warnings'> {
  /** The decoded generation over the region, [3, h, w] in [0,1], before compositing. */
  readonly generated: Float32Array;
}

async function repaintCrop(model: LoadedModel, request: InpaintRequest, full: RepaintInput, region: Rect, hooks: PipelineHooks, warn: Warn): Promise<Repainted> {
  const size = processingSize(region, model.nativeSize);
  const crop = async (img: RgbImage): Promise<RgbImage> => resizeRgb(cropRgb(img, region.x, region.y, region.width, region.height), size.width, size.height);
  const cropPlane = (plane: Uint8Array): Uint8Array => resizeNearest(copyRect(plane, full.image.width, region), region.width, region.height, size.width, size.height);
  const mask = cropPlane(full.mask);
  const softCrop = featherMask(mask, size.width, size.height, Math.round((request.maskBlur * size.width) / region.width));
  const input: RepaintInput = { image: await crop(full.image), mask, soft: softCrop, controls: await Promise.all(full.controls.map(crop)) };
  const out = await repaint(model, request, input, hooks, warn);
  // Back to the crop's own size for the paste.
  const back = await resizeRgb({ width: size.width, height: size.height, rgb: chwToRgb8(out.generated, size.width, size.height) }, region.width, region.height);
  return { ...out, generated: rgbToUnitChw(back) };
}

async function repaint(model: LoadedModel, request: InpaintRequest, input: RepaintInput, hooks: PipelineHooks, warn: Warn): Promise<Repainted> {
  const { width, height } = input.image;
  const latentWidth = width / 8;
  const latentHeight = height / 8;
  const control = await prepareControls(model, request.controls ?? [], input.controls, request.controlNetRoots ?? []);

  // a. Scheduler cut for the strength, prompts, encoded original, start latents.
  const normalized = rgbToNormalizedChw(input.image);
  const start = await startFromImage(model, request, normalized, width, height, hooks, warn);
  const { scheduler, clean, eps } = start;
  const last = scheduler.timesteps.length;

  // b. A 9-channel UNet sees the mask and the masked image; a 4-channel one is kept on the original's trajectory outside the mask.
  const unet = control?.unet ?? model.unet;
  const inpaintChannels = unet.isInpainting ? await inpaintingChannels(model, input, normalized, latentWidth, latentHeight) : undefined;
  const lmask = latentMask(input.soft, width, height);
  const afterStep = unet.isInpainting ? undefined : (current: Float32Array, index: number): Float32Array => blendLatents(current, index + 1 < last ? scheduler.addNoise(clean, eps, index + 1) : clean, lmask);

  // c. Denoise.
  const started = performance.now();
  const final = await denoise(start.latents, { model, scheduler, conditioning: start.conditioning, guidanceScale: request.sampling.guidanceScale, noise: start.noise, latentWidth, latentHeight, startIndex: start.startIndex, hooks, afterStep, control, inpaintChannels });
  const denoiseMs = performance.now() - started;

  // d. Decode.
  await checkpoint(hooks.signal);
  const calls = last - start.startIndex;
  hooks.onProgress?.('decoding', calls, calls);
  const generated = await decodeLatents(model, final, width, height);
  return { generated, sampler: start.sampler, unetCalls: calls, denoiseMs, ...controlStats(control) };
}

/** diffusers' inpainting input: the mask at latent size (nearest, binarised at 0.5) and the masked image's latents. */
async function inpaintingChannels(model: LoadedModel, input: RepaintInput, normalized: Float32Array, latentWidth: number, latentHeight: number): Promise<Float32Array> {
  if (!model.vaeEncoder) throw new PipelineError('MODEL_UNSUPPORTED', `${model.folder.dir} has no vae_encoder/model.onnx; inpainting needs the VAE encoder`);
  const { width, height } = input.image;
  const masked = normalized.slice();
  const plane = width * height;
  for (let i = 0; i < plane; i++) if (input.mask[i] >= 127.5) for (let c = 0; c < 3; c++) masked[c * plane + i] = 0;
  const maskedLatents = scale(await model.vaeEncoder.encode(masked, height, width), model.folder.vaeScalingFactor);
  const small = resizeNearest(input.mask, width, height, latentWidth, latentHeight);
  return concatBatch([Float32Array.from(small, (v) => (v >= 127.5 ? 1 : 0)), maskedLatents]);
}

/** The original with the generated region blended in by the feathered mask: exact wherever the mask is 0. */
function pasteInto(original: RgbImage, soft: Float32Array, generated: Float32Array, region: Rect): Float32Array {
  const { width, height } = original;
  const plane = width * height;
  const out = rgbToUnitChw(original);
  const regionPlane = region.width * region.height;
  for (let y = 0; y < region.height; y++) {
    for (let x = 0; x < region.width; x++) {
      const i = (region.y + y) * width + region.x + x;
      const m = soft[i];
      if (m <= 0) continue;
      for (let c = 0; c < 3; c++) {
        const g = generated[c * regionPlane + y * region.width + x];
        out[c * plane + i] = m >= 1 ? g : out[c * plane + i] * (1 - m) + g * m;
      }
    }
  }
  return out;
}
