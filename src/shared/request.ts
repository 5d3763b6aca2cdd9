/**
 * The serializable request that drives the pipeline. The host (or CLI) fills it once from settings;
 * the pipeline is then a function of (request, model files).
 */
import type { Person } from './canvas/openpose';

/** Samplers Atelier implements; `model-default` uses the model's own scheduler_config.json. */
export const SAMPLER_NAMES = [
  'model-default',
  'euler',
  'euler-a',
  'ddim',
  'dpmpp-2m',
  'dpmpp-2m-karras',
  'lcm',
  'pndm',
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];
/** A concrete sampler (what `model-default` resolves to). */
export type ResolvedSamplerName = Exclude<SamplerName, 'model-default'>;

/** Execution provider preference: `auto` picks per platform and falls back to CPU. */
export const EXECUTION_PROVIDERS = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
export type ExecutionProviderPreference = (typeof EXECUTION_PROVIDERS)[number];
export type ExecutionProviderName = Exclude<ExecutionProviderPreference, 'auto'>;

/** Largest seed accepted: seeds are unsigned 32-bit integers, as in A1111. */
export const MAX_SEED = 0xffff_ffff;
export const MAX_STEPS = 1000;
export const MAX_PROMPT_CHARS = 10_000;
/** Largest output accepted, in pixels (width × height). */
export const MAX_PIXELS = 4096 * 4096;

export interface SamplingOptions {
  readonly sampler: SamplerName;
  /** Denoising steps, 1…MAX_STEPS. */
  readonly steps: number;
  /** Classifier-free guidance scale; ≤ 1 disables CFG (one UNet pass per step). */
  readonly guidanceScale: number;
  /** Unsigned 32-bit seed for the CPU noise generator. */
  readonly seed: number;
}

/**
 * ControlNet kinds Atelier recognises (from a ControlNet's config or folder name). The canvas feeds
 * openpose from the pose layer, depth from depth, scribble/lineart from sketch and canny from edges.
 */
export const CONTROL_TYPES = ['openpose', 'depth', 'scribble', 'lineart', 'canny', 'softedge', 'mlsd', 'normal', 'seg', 'inpaint', 'other'] as const;
export type ControlType = (typeof CONTROL_TYPES)[number];
/** Largest ControlNet conditioning scale accepted (diffusers' UIs go to 2; beyond 5 only breaks images). */
export const MAX_CONTROL_SCALE = 5;

/** Decoded 8-bit pixels, interleaved (1 = grey, 3 = RGB, 4 = RGBA): width × height × channels bytes. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
  readonly data: Uint8Array;
}

/**
 * An image in a request: the bytes of an image file (PNG, JPEG, WebP… as the user has it), or pixels
 * the host already holds decoded (the canvas's layers), which cross to the worker as they are.
 */
export type ImageInput = Uint8Array | RawImage;

export function isRawImage(image: ImageInput): image is RawImage {
  return !(image instanceof Uint8Array);
}

/** Why raw pixels cannot be used (sizes, channel count, byte count), or undefined when they can. */
export function rawImageProblem(image: RawImage, channels: readonly RawImage['channels'][]): string | undefined {
  const { width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) return `its size must be whole pixels ≥ 1, got ${String(width)}×${String(height)}`;
  if (width * height > MAX_PIXELS) return `it is ${width}×${height}, more than the ${MAX_PIXELS}-pixel limit`;
  if (!channels.includes(image.channels)) return `it must have ${channels.join(' or ')} channel${channels.length === 1 && channels[0] === 1 ? '' : 's'}, got ${String(image.channels)}`;
  if (!(image.data instanceof Uint8Array) || image.data.length !== width * height * image.channels) {
    return `${width}×${height}×${image.channels} pixels need ${width * height * image.channels} bytes, got ${image.data instanceof Uint8Array ? image.data.length : 'none'}`;
  }
  return undefined;
}

/** One ControlNet input: an image that steers generation, with its weight and step window. */
export interface ControlInput {
  /** What the image shows; picks the ControlNet when `controlNetDir` is not given. */
  readonly type: ControlType;
  /**
   * A separate ControlNet folder (layout c: `model.onnx` taking `controlnet_cond`). Omitted: the
   * model's fused ControlNet of this type, else the first ControlNet of this type under `controlNetRoots`.
   */
  readonly controlNetDir?: string;
  /** 8-bit RGB (or grey) image, encoded or raw; resized to the output size with a notice when it differs. */
  readonly image: ImageInput;
  /** conditioning_scale: 0 turns it off, 1 is the trained strength. */
  readonly scale: number;
  /** Fractions of the denoising steps during which it acts: 0 ≤ start < end ≤ 1. */
  readonly start: number;
  readonly end: number;
}

export interface Txt2ImgRequest {
  readonly kind: 'txt2img';
  /** Absolute path of a diffusers/optimum ONNX model folder. */
  readonly modelDir: string;
  readonly prompt: string;
  readonly negativePrompt: string;
  /** Output width in pixels, a multiple of 8 (not a multiple of 64: generated at the next and centre-cropped). */
  readonly width: number;
  /** Output height in pixels, a multiple of 8 (not a multiple of 64: generated at the next and centre-cropped). */
  readonly height: number;
  readonly sampling: SamplingOptions;
  /**
   * Sampling fields the user did not set (the settings' defaults): the worker replaces them with the
   * model's own few-step defaults for Turbo and LCM models (see samplingDefaults.ts). Absent: none.
   */
  readonly modelDefaults?: readonly ('sampler' | 'steps' | 'guidanceScale')[];
  /** Send a latent preview every N steps; 0 turns previews off. */
  readonly previewEvery: number;
  readonly executionProvider: ExecutionProviderPreference;
  /** ControlNets applied together (their residuals are summed). */
  readonly controls?: readonly ControlInput[];
  /** Folders searched for ControlNets by type: a ControlNet folder, or a folder of them (e.g. `SD/Depth/`). */
  readonly controlNetRoots?: readonly string[];
}

/**
 * The size an init image is generated at. `model`: images larger than about the model's pixel budget
 * (1.5 × its native square, e.g. 768×512 for SD 1.x) are scaled down to it and the result scaled back,
 * with a notice; `full`: always at the image's own size (slow on a CPU for a 12 Mpx photo).
 */
export const WORKING_RESOLUTIONS = ['model', 'full'] as const;
export type WorkingResolution = (typeof WORKING_RESOLUTIONS)[number];

/** Image-to-image: the init image is noised to `strength` and denoised from there. */
export interface Img2ImgRequest extends Omit<Txt2ImgRequest, 'kind' | 'width' | 'height'> {
  readonly kind: 'img2img';
  /**
   * The encoded init image (PNG, JPEG, WebP; the first frame of GIF, TIFF, AVIF), of any size: it is
   * generated in a working frame (padded to multiples of 64, scaled per `workingResolution`) and the
   * output has exactly its size, upright (EXIF orientation applied).
   */
  readonly initImage: Uint8Array;
  /** 0 keeps the image (VAE round trip), 1 ignores it (txt2img from the same seed). */
  readonly strength: number;
  /** Default `model`. */
  readonly workingResolution?: WorkingResolution;
}

/** Inpainting: repaint where the mask is white; pixels where it is black come back bit-exact. */
export interface InpaintRequest extends Omit<Img2ImgRequest, 'kind'> {
  readonly kind: 'inpaint';
  /** Mask image, encoded or one raw grey channel (≥ 128 = repaint); resized to the image with a notice when sizes differ. */
  readonly mask: ImageInput;
  /** Feather radius in pixels (0 = hard edge); the seam is feathered inward, inside the painted mask. */
  readonly maskBlur: number;
  /**
   * "Inpaint only the masked area": crop the mask's bounding box plus `padding` pixels, generate it
   * at the model's native size, paste it back. Small masks on large images stay fast and sharp.
   */
  readonly onlyMasked?: { readonly padding: number };
}

/** Outpainting: the canvas grows by these pixels per side; the new area is filled, masked and inpainted. */
export interface OutpaintRequest extends Omit<Img2ImgRequest, 'kind'> {
  readonly kind: 'outpaint';
  readonly extend: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
  /** How the new area starts: the nearest edge pixels stretched outwards, or seeded noise. */
  readonly fill: 'edge' | 'noise';
  /** Feather radius in pixels; the blend stays inside the new area, so the original pixels are kept exactly. */
  readonly maskBlur: number;
}

export type GenerationRequest = Txt2ImgRequest | Img2ImgRequest | InpaintRequest | OutpaintRequest;

/** What a finished generation returns to the host. */
export interface GenerationResult {
  /** PNG bytes without text metadata; the host adds it if metadata is enabled. */
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly seed: number;
  /** Sampler actually used (resolved from `model-default`). */
  readonly sampler: ResolvedSamplerName;
  readonly steps: number;
  /** Guidance actually used (the model's default may replace the request's). */
  readonly guidanceScale?: number;
  /** The sampling values a Turbo/LCM model's defaults put in place of the request's (see samplingDefaults.ts). */
  readonly modelDefaults?: Partial<Pick<SamplingOptions, 'sampler' | 'steps' | 'guidanceScale'>>;
  /** Provider the sessions actually ran on (after any CPU fallback); `comfyui` when a server ran it (see `server`). */
  readonly executionProvider: ExecutionProviderName | 'comfyui';
  /** Set when a ComfyUI server ran the job: the metadata names the backend and the server's checkpoint. */
  readonly server?: { readonly backend: 'comfyui'; readonly version?: string; readonly checkpoint: string; readonly promptId: string };
  /** Human-readable family label, e.g. "SD 1.x". */
  readonly modelFamily: string;
  readonly warnings: readonly string[];
  readonly timings: GenerationTimings;
  /** Worker memory after the job, for the host's restart policy. */
  readonly workerRssBytes: number;
  /** Peak resident memory of the worker process so far. */
  readonly workerPeakRssBytes: number;
  readonly restartRecommended: boolean;
  /** The ControlNets that ran, in request order (for metadata). */
  readonly controlNets: readonly UsedControlNet[];
}

export interface UsedControlNet {
  readonly type: ControlType;
  /** The ControlNet folder, or the model folder for a fused UNet+ControlNet. */
  readonly model: string;
  readonly layout: 'separate' | 'fused';
  readonly scale: number;
  readonly start: number;
  readonly end: number;
}

export interface GenerationTimings {
  readonly totalMs: number;
  readonly loadMs: number;
  /** Time spent inside onnxruntime session.run (all models). */
  readonly sessionRunMs: number;
  readonly denoiseMs: number;
  /** Of `denoiseMs`, the time spent in separate ControlNet runs. */
  readonly controlNetMs: number;
}

export interface TokenizeParams {
  /** Folder holding vocab.json and merges.txt (a model's `tokenizer/`). */
  readonly tokenizerDir: string;
  readonly text: string;
}

export interface TokenizeResult {
  /**
   * Ids of the text with A1111's weighting syntax removed, BOS first and EOS last, all chunks in a row
   * (for a prompt without syntax: exactly what the tokenizer gives).
   */
  readonly ids: readonly number[];
  /** One weight per id (1 for BOS and EOS). */
  readonly weights: readonly number[];
  /** Where each 75-token chunk starts in `ids` and how many prompt tokens it holds. */
  readonly chunks: readonly { readonly start: number; readonly length: number }[];
  /** A1111's token count (each chunk but the last counts in full): the "82" of "82/150". */
  readonly count: number;
  /** The chunks' capacity: the "150" of "82/150". */
  readonly max: number;
}

/** Upscaling factors the built-in ESRGAN models offer. */
export const UPSCALE_FACTORS = [2, 3, 4, 8] as const;
export type UpscaleFactor = (typeof UPSCALE_FACTORS)[number];
/** The built-in upscalers: @upscalerjs/esrgan-slim (fast) and -medium (sharper). */
export const UPSCALER_MODELS = ['slim', 'medium'] as const;
export type UpscalerModel = (typeof UPSCALER_MODELS)[number];
/** Largest upscaled result, in pixels (8192×8192). */
export const MAX_UPSCALE_OUTPUT_PIXELS = 8192 * 8192;

export interface UpscaleRequest {
  /** Encoded PNG, JPEG or WebP; transparency is kept (the alpha channel is resized alongside). */
  readonly image: Uint8Array;
  readonly scale: UpscaleFactor;
  readonly model: UpscalerModel;
  readonly executionProvider: ExecutionProviderPreference;
  /** Tile core in input pixels (default: chosen per scale); tests use small tiles to exercise the seams. */
  readonly tileCore?: number;
}

export interface UpscaleResult {
  /** PNG bytes without text metadata. */
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly scale: UpscaleFactor;
  readonly model: UpscalerModel;
  /** "ESRGAN slim 2×", for metadata and messages. */
  readonly upscaler: string;
  /** Where the weights came from: "@upscalerjs/esrgan-slim@1.0.0 (MIT)". */
  readonly source: string;
  readonly hasAlpha: boolean;
  readonly tiles: number;
  readonly executionProvider: ExecutionProviderName;
  readonly warnings: readonly string[];
  readonly timings: { readonly totalMs: number; readonly sessionRunMs: number };
  readonly workerPeakRssBytes: number;
}

/** An image already decoded by the host (the canvas base image), for the built-in detectors. */
export interface DetectRequest {
  readonly width: number;
  readonly height: number;
  /** Interleaved RGBA u8, width × height × 4 (alpha is ignored). */
  readonly rgba: Uint8Array;
  readonly executionProvider: ExecutionProviderPreference;
}

/** One person found by "Detect pose from image": 18 OpenPose joints in image pixels. */
export interface DetectedPose {
  readonly person: Person;
  /** The detector's confidence that this is a person, 0…1. */
  readonly score: number;
}

export interface DetectPoseResult {
  /** Most confident first; empty when no one was found. */
  readonly people: readonly DetectedPose[];
  /** "MoveNet MultiPose (…)": the detector and where its weights came from. */
  readonly detector: string;
  readonly executionProvider: ExecutionProviderName;
  readonly timings: { readonly totalMs: number; readonly sessionRunMs: number };
}

export interface SegmentPersonResult {
  /** width × height, 255 where a person is; undefined when no one was found. */
  readonly mask: Uint8Array | undefined;
  /** Fraction of the image the mask covers. */
  readonly coverage: number;
  readonly detector: string;
  readonly executionProvider: ExecutionProviderName;
  readonly timings: { readonly totalMs: number; readonly sessionRunMs: number };
}

/** A separate ControlNet found under the configured folders. */
export interface ControlNetSummary {
  readonly dir: string;
  /** Undefined when neither its config nor its folder name tells. */
  readonly type: ControlType | undefined;
}

/** What a model folder is, as far as it can be told without loading it. */
export interface ModelSummary {
  readonly dir: string;
  readonly pipelineClass: string;
  /** The built-in demo model (an analytic oracle, not a trained model). */
  readonly demo: boolean;
  readonly defaultSampler: ResolvedSamplerName;
  readonly predictionType: 'epsilon' | 'v_prediction' | 'sample';
  readonly notes: readonly string[];
}
