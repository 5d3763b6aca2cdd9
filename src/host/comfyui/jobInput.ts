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
}

function unsupported(argument: string, what: string): PipelineError {
  return new PipelineError('INVALID_INPUT', `${what} is not available on a ComfyUI server yet; run this job on the local backend (without --comfyui)`, { argument });
}

export function toComfyInput(job: GenerationJob, images: WorkingImages): ComfyWorkflowInput<RawImage> {
  const { request } = job;
  // 1. What the ComfyUI backend does not run yet.
  if (request.controls && request.controls.length > 0) throw unsupported('controls', 'ControlNet (--control)');
  if (request.kind === 'outpaint') throw unsupported('outpaint', 'outpainting (--outpaint)');
  if (request.kind === 'inpaint' && request.onlyMasked) throw unsupported('onlyMasked', 'inpainting only the masked area (--only-masked)');

  // 2. What every kind shares: the job's model is the checkpoint as the server lists it.
  const common = {
    checkpoint: request.modelDir,
    prompt: request.prompt,
    negativePrompt: request.negativePrompt,
    sampling: request.sampling,
    loras: job.loras.map((l) => ({ name: l.name, weight: l.weight })),
    controls: [],
  };
  if (request.kind === 'txt2img') return { ...common, kind: 'txt2img', width: request.width, height: request.height };

  // 3. The images, decoded by the caller.
  const image = images.image;
  if (!image) throw new PipelineError('INVALID_INPUT', `a ${request.kind} job needs its init image decoded`, { argument: 'initImage' });
  if (request.kind === 'img2img') return { ...common, kind: 'img2img', image, strength: request.strength };
  if (!images.mask) throw new PipelineError('INVALID_INPUT', 'an inpaint job needs its mask decoded', { argument: 'mask' });
  return { ...common, kind: 'inpaint', image, mask: images.mask, strength: request.strength };
}
