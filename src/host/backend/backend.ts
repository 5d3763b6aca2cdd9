/**
 * What the front ends need from an image engine, whatever runs it: the local ONNX worker, or (issue 15
 * part 2) a ComfyUI server. Jobs come from `buildJob`; results are saved by the host the same way.
 */
import type { PipelineEvents } from '../../shared/protocol/pipeline';
import type { ControlNetSummary, GenerationRequest, GenerationResult, UpscaleRequest, UpscaleResult } from '../../shared/request';
import type { GenerationJob } from '../jobs/job';
import type { PipelineEvent } from '../worker/pipelineClient';

export type BackendProgress = PipelineEvents['progress'];
export type BackendPreview = PipelineEvents['preview'];

export interface BackendCallbacks {
  /** Aborting cancels the job; its promise rejects with CANCELLED and no result is returned. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BackendProgress) => void;
  /** A low-resolution RGB preview of the image being denoised. */
  readonly onPreview?: (preview: BackendPreview) => void;
  /** A notice worth showing (prompt truncated, provider fallback, image resized). */
  readonly onWarning?: (message: string) => void;
}

/** A model a backend can run: `id` is what a job's `modelDir` holds for it (a folder, or the server's checkpoint name). */
export interface BackendModel {
  readonly id: string;
  readonly name: string;
  /** The diffusers pipeline class when known (StableDiffusionPipeline, …). */
  readonly family?: string;
}

export interface BackendCapabilities {
  readonly backend: 'local' | 'comfyui';
  readonly kinds: readonly GenerationRequest['kind'][];
  readonly controlNets: boolean;
  readonly loras: boolean;
  readonly upscale: boolean;
  readonly previews: boolean;
}

export interface Backend {
  capabilities(): BackendCapabilities;
  generate(job: GenerationJob, callbacks?: BackendCallbacks): Promise<GenerationResult>;
  upscale(request: UpscaleRequest, callbacks?: BackendCallbacks): Promise<UpscaleResult>;
  listModels(): Promise<readonly BackendModel[]>;
  /** The ControlNets a server offers, by the name its jobs take (local ones are listed by the worker). */
  listControlNets?(): Promise<readonly ControlNetSummary[]>;
}

/** Backend callbacks that hand every event to one listener (for UIs that already speak pipeline events). */
export function callbacksFor(onEvent: ((event: PipelineEvent) => void) | undefined, signal?: AbortSignal): BackendCallbacks {
  return {
    signal,
    onProgress: onEvent && ((payload) => onEvent({ event: 'progress', payload })),
    onPreview: onEvent && ((payload) => onEvent({ event: 'preview', payload })),
    onWarning: onEvent && ((message) => onEvent({ event: 'warning', payload: { message } })),
  };
}
