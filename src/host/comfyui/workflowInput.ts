/**
 * What a ComfyUI job needs, in Atelier's terms. Minimal on purpose: the host's job builder (issue 15,
 * part 1) replaces it with the backend-neutral job; until then it mirrors GenerationRequest's fields.
 * `ComfyWorkflowInput<RawImage>` is the job as the host holds it (decoded pixels); the graph builders
 * take `ComfyWorkflowInput<string>`, where every image is the name the server gave the upload.
 */
import type { SamplingOptions } from '../../shared/request';

/** Decoded 8-bit pixels (one type for the worker's and the server's edges). */
export type { RawImage } from '../../shared/request';

/** One ControlNet unit: the server's ControlNet file (as ControlNetLoader lists it) and its image. */
export interface ComfyControl<Img> {
  readonly controlNet: string;
  readonly image: Img;
  /** ControlNetApplyAdvanced.strength: 0 turns it off, 1 is the trained strength. */
  readonly scale: number;
  /** Fractions of the denoising steps during which it acts: 0 ≤ start < end ≤ 1. */
  readonly start: number;
  readonly end: number;
}

/** One LoRA applied to the model and the text encoder, with one weight for both (A1111's `<lora:x:w>`). */
export interface ComfyLora {
  /** The file as LoraLoader lists it, e.g. `style/pixel-art.safetensors`. */
  readonly name: string;
  readonly weight: number;
}

interface Common<Img> {
  /** The checkpoint exactly as CheckpointLoaderSimple lists it. */
  readonly checkpoint: string;
  readonly prompt: string;
  readonly negativePrompt: string;
  /** Seed already drawn (a concrete 32-bit value), steps, guidance and Atelier's sampler name. */
  readonly sampling: SamplingOptions;
  readonly loras: readonly ComfyLora[];
  readonly controls: readonly ComfyControl<Img>[];
}

export type ComfyWorkflowInput<Img = string> =
  | (Common<Img> & { readonly kind: 'txt2img'; readonly width: number; readonly height: number })
  /** The output has the init image's size. `strength` is KSampler's denoise. */
  | (Common<Img> & { readonly kind: 'img2img'; readonly image: Img; readonly strength: number })
  /** Repaint where the mask is white (a grey image of the init image's size). */
  | (Common<Img> & { readonly kind: 'inpaint'; readonly image: Img; readonly mask: Img; readonly strength: number })
  /** Grow the image by `extend` pixels per side; `feather` softens the seam on the generator's side. */
  | (Common<Img> & {
      readonly kind: 'outpaint';
      readonly image: Img;
      readonly extend: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
      readonly feather: number;
      readonly strength: number;
    });

export type ComfyJobKind = ComfyWorkflowInput['kind'];

/** Upscale an image with one of the server's upscale models (UpscaleModelLoader.model_name). */
export interface ComfyUpscaleInput<Img = string> {
  readonly model: string;
  readonly image: Img;
}
