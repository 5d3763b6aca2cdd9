/**
 * A backend-neutral `GenerationJob` → the ComfyUI job (`ComfyWorkflowInput<RawImage>`), pure: the
 * images come already decoded and brought to a working size (see jobImages.ts). What a ComfyUI job
 * cannot carry yet is refused here, naming the option, before anything is uploaded.
 */
import { PipelineError } from '../../shared/errors';
import type { GenerationJob } from '../jobs/job';
import type { ComfyWorkflowInput, RawImage } from './workflowInput';

/** The init image and the mask at the working size (multiples of 8), as the server gets them. */
export interface WorkingImages {
  readonly image?: RawImage;
  /** One grey channel, ≥ 128 = repaint. */
  readonly mask?: RawImage;
  /** The control images at the size the server paints, in the request's order. */
  readonly controls?: readonly RawImage[];
  /** Outpaint: each side's growth at the working scale (multiples of 8). */
  readonly extend?: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
  /** Only-masked inpaint: `image` and `mask` are the crop around the mask. */
  readonly cropped?: boolean;
}

/** How a ControlNet is named for a server: the file as its ControlNetLoader lists it. */
export const COMFY_CONTROLNET_HINT = (type: string): string =>
  `on a ComfyUI server name the server's ControlNet for ${type}: --controlnet ${type}=<ControlNet as the server lists it> (atelier models list --comfyui <url>)`;

/** What no ComfyUI job can carry, refused from the job alone (before any image is decoded). */
export function refuseUnmappable(job: GenerationJob): void {
  const { request } = job;
  (request.controls ?? []).forEach((c, i) => {
    if (!c.controlNetDir) throw new PipelineError('INVALID_INPUT', `ControlNet ${i + 1} (${c.type}) names no ControlNet: ${COMFY_CONTROLNET_HINT(c.type)}`, { argument: 'controls' });
  });
  if (request.kind === 'outpaint' && request.fill === 'noise') {
    throw new PipelineError('INVALID_INPUT', 'ComfyUI\'s ImagePadForOutpaint starts the new area grey; --outpaint-fill noise runs only locally: leave it out (or use edge)', { argument: 'fill' });
  }
}

export function toComfyInput(job: GenerationJob, images: WorkingImages): ComfyWorkflowInput<RawImage> {
  const { request } = job;
  refuseUnmappable(job);
  // 1. ControlNet units: each names the server's ControlNet (checked against its list before uploading).
  const controls = (request.controls ?? []).map((c, i) => {
    const image = images.controls?.[i];
    if (!image) throw new PipelineError('INVALID_INPUT', `ControlNet ${i + 1} (${c.type}) needs its image decoded`, { argument: 'controls' });
    return { controlNet: c.controlNetDir ?? '', image, scale: c.scale, start: c.start, end: c.end };
  });

  // 2. What every kind shares: the job's model is the checkpoint as the server lists it.
  const common = {
    checkpoint: request.modelDir,
    prompt: request.prompt,
    negativePrompt: request.negativePrompt,
    sampling: request.sampling,
    loras: job.loras.map((l) => ({ name: l.name, weight: l.weight })),
    controls,
  };
  if (request.kind === 'txt2img') return { ...common, kind: 'txt2img', width: request.width, height: request.height };

  // 3. The images, decoded by the caller.
  const image = images.image;
  if (!image) throw new PipelineError('INVALID_INPUT', `a ${request.kind} job needs its init image decoded`, { argument: 'initImage' });
  if (request.kind === 'img2img') return { ...common, kind: 'img2img', image, strength: request.strength };
  if (request.kind === 'outpaint') {
    if (!images.extend) throw new PipelineError('INVALID_INPUT', 'an outpaint job needs its sides at the working scale', { argument: 'outpaint' });
    return { ...common, kind: 'outpaint', image, extend: images.extend, feather: Math.round(request.maskBlur), strength: request.strength };
  }
  if (request.onlyMasked && !images.cropped) throw new PipelineError('INVALID_INPUT', 'an only-masked inpaint job needs the crop around its mask', { argument: 'onlyMasked' });
  if (!images.mask) throw new PipelineError('INVALID_INPUT', 'an inpaint job needs its mask decoded', { argument: 'mask' });
  return { ...common, kind: 'inpaint', image, mask: images.mask, strength: request.strength };
}
