/**
 * Inpainting, chosen from the model: a 9-channel inpainting UNet gets the mask and the masked
 * image's latents as extra input channels; any 4-channel UNet inpaints by mask blending (after every
 * step, latents outside the mask are replaced by the original re-noised to the next level). Either
 * way, after decoding the original is pasted back outside the mask, so those pixels are bit-exact,
 * and the seam is feathered inward, inside the painted mask. The image (or, "only masked", the crop
 * around the mask) is generated in a working frame (ops/workingFrame.ts) and brought back to its size.
 */
import { PipelineError } from '../../shared/errors';
import { copyRect, type Rect } from '../../shared/canvas/rect';
import { featherInward } from '../../shared/imageMath/featherInward';
import { resizeNearest } from '../../shared/imageMath/resizeNearest';
import type { InpaintRequest } from '../../shared/request';
import { cropRgb, rgbToNormalizedChw, rgbToUnitChw, type RgbImage } from '../ops/decodeImage';
import { blendLatents, hardMask, latentMask } from '../ops/mask';
import { cropRegion, maskBounds } from '../ops/maskRegion';
import { chwOutOfFrame, frameNotice, framePolicy, maskIntoFrame, planFrame, rgbIntoFrame, type WorkingFrame } from '../ops/workingFrame';
import { concatBatch, scale } from '../ops/tensor';
import type { LoadedModel } from '../runtime/loadedModel';
import { checkRequest } from '../../shared/checkRequest';
import { controlStats, decodeControls, prepareControls } from './controls';
import type { PipelineHooks, PipelineOutput } from './hooks';
import { checkpoint, decodeLatents, denoise, startFromImage } from './stages';

export interface MaskImage {
  readonly width: number;
  readonly height: number;
  /** Single channel, < 128 = keep, ≥ 128 = repaint. */
  readonly data: Uint8Array;
}

type Warn = (message: string) => void;

/** What the repaint pass gets, all in the working frame. */
interface RepaintInput {
  readonly image: RgbImage;
  /** Hard mask u8 (≥ 128 = repaint). */
  readonly mask: Uint8Array;
  readonly controls: readonly RgbImage[];
}

/** What a repaint reads from an inpaint or an outpaint request; the mask comes decoded, not as the request's bytes. */
export type RepaintRequest = Omit<InpaintRequest, 'kind' | 'mask'>;

export async function inpaint(model: LoadedModel, request: InpaintRequest, init: RgbImage, maskInput: MaskImage, hooks: PipelineHooks = {}): Promise<PipelineOutput> {
  checkRequest(request);
  return repaintMasked(model, request, init, maskInput, hooks);
}

/**
 * Repaints where the decoded mask is painted and pastes the original back outside it. Inpaint and
 * outpaint call it after checking their own requests (outpaint's mask is the new area it made).
 */
export async function repaintMasked(model: LoadedModel, request: RepaintRequest, init: RgbImage, maskInput: MaskImage, hooks: PipelineHooks = {}): Promise<PipelineOutput> {
  const warnings: string[] = [];
  const warn: Warn = (message) => {
    warnings.push(message);
    hooks.onWarning?.(message);
  };

  // 1. Bring the mask to the image size (with a notice) and read what it asks for.
  const { width, height } = init;
  let mask = maskInput.data;
  if (maskInput.width !== width || maskInput.height !== height) {
    warn(`the mask is ${maskInput.width}×${maskInput.height} but the image is ${width}×${height}; the mask was resized to fit`);
    mask = resizeNearest(mask, maskInput.width, maskInput.height, width, height);
  }
  const bounds = maskBounds(mask, width, height);
  if (!bounds) throw new PipelineError('INVALID_INPUT', 'the mask is empty: nothing to repaint (paint the area to change in white)', { argument: 'mask' });
  if (bounds.width === width && bounds.height === height && mask.every((v) => v > 127)) warn('the mask covers the whole image: this is the same as img2img/txt2img');
  // The seam weight is 0 wherever the mask is not painted: those pixels come back exactly.
  const seam = featherInward(mask, width, height, request.maskBlur);
  const controls = await decodeControls(request, width, height, warn);

  // 2. The region to generate (the whole image, or the mask's box plus padding) and its working frame.
  const onlyMasked = request.onlyMasked !== undefined;
  const region = request.onlyMasked ? cropRegion(bounds, request.onlyMasked.padding, width, height) : { x: 0, y: 0, width, height };
  const frame = planFrame(region.width, region.height, framePolicy(model.nativeSize, request.workingResolution, onlyMasked));
  // A crop brought up to the native size is the point of "only masked"; only a scaled-down one is news.
  const notice = !onlyMasked || frame.scaledWidth < region.width ? frameNotice(frame, onlyMasked ? 'the masked area (with its padding)' : 'the image') : undefined;
  if (notice) warn(notice);

  // 3. Repaint it in the frame.
  const input = await regionIntoFrame(region, frame, init, mask, controls);
  const repainted = await repaint(model, request, input, hooks, warn);

  // 4. Back to the region's size; paste onto the original with the inward seam.
  const generated = await chwOutOfFrame(repainted.generated, frame);
  return { ...repainted, image: pasteInto(init, seam, generated, region), width, height, warnings };
}

/** The region of the image, mask and control images, cropped (when it is not the whole) and brought into the frame. */
async function regionIntoFrame(region: Rect, frame: WorkingFrame, image: RgbImage, mask: Uint8Array, controls: readonly RgbImage[]): Promise<RepaintInput> {
  const whole = region.x === 0 && region.y === 0 && region.width === image.width && region.height === image.height;
  const crop = (img: RgbImage): RgbImage => (whole ? img : cropRgb(img, region.x, region.y, region.width, region.height));
  return {
    image: await rgbIntoFrame(crop(image), frame),
    mask: maskIntoFrame(whole ? mask : copyRect(mask, image.width, region), frame, resizeNearest),
    controls: await Promise.all(controls.map((c) => rgbIntoFrame(crop(c), frame))),
  };
}

interface Repainted extends Omit<PipelineOutput, 'image' | 'width' | 'height' | 'warnings'> {
  /** The decoded generation over the frame, [3, h, w] in [0,1], before compositing. */
  readonly generated: Float32Array;
}

async function repaint(model: LoadedModel, request: RepaintRequest, input: RepaintInput, hooks: PipelineHooks, warn: Warn): Promise<Repainted> {
  const { width, height } = input.image;
  const latentWidth = width / 8;
  const latentHeight = height / 8;
  const control = await prepareControls(model, request.controls ?? [], input.controls, request.controlNetRoots ?? []);

  // a. Scheduler cut for the strength, prompts, encoded original, start latents.
  const normalized = rgbToNormalizedChw(input.image);
  const start = await startFromImage(model, request, normalized, width, height, hooks, warn);
  const { scheduler, clean, eps } = start;
  const last = scheduler.timesteps.length;

  // b. A 9-channel UNet sees the mask and the masked image; a 4-channel one is kept on the original's
  //    trajectory outside the (hard) mask, so the whole painted area is free and the seam fades in after decoding.
  const unet = control?.unet ?? model.unet;
  const inpaintChannels = unet.isInpainting ? await inpaintingChannels(model, input, normalized, latentWidth, latentHeight) : undefined;
  const lmask = latentMask(hardMask(input.mask), width, height);
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
  await model.doneWith('vaeEncoder');
  const small = resizeNearest(input.mask, width, height, latentWidth, latentHeight);
  return concatBatch([Float32Array.from(small, (v) => (v >= 127.5 ? 1 : 0)), maskedLatents]);
}

/** The original with the generated region blended in by the seam weights: exact wherever the weight is 0. */
function pasteInto(original: RgbImage, seam: Float32Array, generated: Float32Array, region: Rect): Float32Array {
  const { width, height } = original;
  const plane = width * height;
  const out = rgbToUnitChw(original);
  const regionPlane = region.width * region.height;
  for (let y = 0; y < region.height; y++) {
    for (let x = 0; x < region.width; x++) {
      const i = (region.y + y) * width + region.x + x;
      const m = seam[i];
      if (m <= 0) continue;
      for (let c = 0; c < 3; c++) {
        const g = generated[c * regionPlane + y * region.width + x];
        out[c * plane + i] = m >= 1 ? g : out[c * plane + i] * (1 - m) + g * m;
      }
    }
  }
  return out;
}
