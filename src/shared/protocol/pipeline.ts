/**
 * Messages between the host (extension or CLI) and the pipeline worker process. Sent over
 * `child_process.fork(…, { serialization: 'advanced' })`, so typed arrays cross as themselves.
 */
import type { ConvertCheckpointParams, ConvertCheckpointResult } from '../convert';
import type { PipelineErrorInfo } from '../errors';
import type { ControlNetSummary, DetectPoseResult, DetectRequest, GenerationRequest, SegmentPersonResult, GenerationResult, ModelSummary, TokenizeParams, TokenizeResult, UpscaleRequest, UpscaleResult } from '../request';

/** Request/response pairs the worker serves. */
export interface PipelineMethods {
  /** Run one generation; emits progress and preview events while it runs. */
  generate: { params: GenerationRequest; result: GenerationResult };
  /** Tokenize text with a model's tokenizer (the token counter). */
  tokenize: { params: TokenizeParams; result: TokenizeResult };
  /** Validate a model folder without creating sessions (the folder picker uses it). */
  inspectModel: { params: { modelDir: string }; result: ModelSummary };
  /** Upscale an image with a built-in ESRGAN model; emits `upscaling` progress per tile. */
  upscale: { params: UpscaleRequest; result: UpscaleResult };
  /** "Detect pose from image": MoveNet MultiPose, people as OpenPose skeletons (none found: an empty list). */
  detectPose: { params: DetectRequest; result: DetectPoseResult };
  /** "Select person": MediaPipe selfie segmentation, a 0/255 mask (none found: no mask). */
  segmentPerson: { params: DetectRequest; result: SegmentPersonResult };
  /** Separate ControlNets under these folders, with their types (the canvas picks one per layer). */
  listControlNets: { params: { roots: readonly string[] }; result: readonly ControlNetSummary[] };
  /** Build (or reuse from the cache) the ONNX folder of a `.safetensors` checkpoint with LoRAs merged; emits `converting` progress. */
  convertCheckpoint: { params: ConvertCheckpointParams; result: ConvertCheckpointResult };
  /** Release warm sessions (the user switched models or asked to free memory). */
  releaseModels: { params: Record<string, never>; result: { rssBytes: number } };
}

/** Events the worker emits while serving a request, tagged with the request id. */
export interface PipelineEvents {
  /** Phase change or a finished denoising step. */
  progress: {
    /** `queued`, `uploading` and `downloading` come from a server backend (ComfyUI), never from the worker. */
    readonly phase: 'queued' | 'uploading' | 'loading' | 'encoding' | 'denoising' | 'decoding' | 'encoding-png' | 'upscaling' | 'downloading' | 'converting';
    readonly step: number;
    readonly totalSteps: number;
  };
  /** Cheap latent→RGB preview at latent resolution, RGB u8 interleaved. */
  preview: { readonly step: number; readonly width: number; readonly height: number; readonly rgb: Uint8Array };
  /** A warning worth showing (prompt truncated, provider fallback). */
  warning: { readonly message: string };
}

export type MethodName<M> = keyof M & string;
export type EventName<E> = keyof E & string;

/** Host → worker. */
export type ToPeerMessage<M> =
  /** Start a request. */
  | { readonly type: 'request'; readonly id: number; readonly method: MethodName<M>; readonly params: unknown }
  /** Ask the worker to stop a running request at its next checkpoint. */
  | { readonly type: 'cancel'; readonly id: number };

/** Worker → host. */
export type FromPeerMessage<E> =
  /** A request finished. */
  | { readonly type: 'response'; readonly id: number; readonly result: unknown }
  /** A request failed; `error.code` is typed. */
  | { readonly type: 'error'; readonly id: number; readonly error: PipelineErrorInfo }
  /** An event for a running request. */
  | { readonly type: 'event'; readonly id: number; readonly event: EventName<E>; readonly payload: unknown }
  /** Diagnostic line for the host's log channel. */
  | { readonly type: 'log'; readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly message: string };

export type ToWorkerMessage = ToPeerMessage<PipelineMethods>;
export type FromWorkerMessage = FromPeerMessage<PipelineEvents>;
