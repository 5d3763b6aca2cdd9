/** The local backend: the ONNX pipeline in the supervised worker process (GPU when present, CPU otherwise). */
import { PipelineError } from '../../shared/errors';
import type { GenerationResult, UpscaleRequest, UpscaleResult } from '../../shared/request';
import type { GenerationJob } from '../jobs/job';
import { listCachedModels } from '../models/cachedModels';
import type { GenerateOptions, PipelineClient } from '../worker/pipelineClient';
import type { Backend, BackendCallbacks, BackendCapabilities, BackendModel } from './backend';

export interface OnnxBackendOptions {
  /** The worker; started on first use. */
  readonly client: () => PipelineClient;
  /** The Hugging Face cache whose diffusers ONNX exports are listed. */
  readonly cacheRoot: string;
  /** Models listed before the cached ones (the configured folder, the built-in demo model). */
  readonly extraModels?: () => readonly BackendModel[];
}

const CAPABILITIES: BackendCapabilities = { backend: 'local', kinds: ['txt2img', 'img2img', 'inpaint', 'outpaint'], controlNets: true, loras: false, upscale: true, previews: true };

function workerOptions(callbacks: BackendCallbacks): GenerateOptions {
  return {
    signal: callbacks.signal,
    onEvent: (event) => {
      if (event.event === 'progress') callbacks.onProgress?.(event.payload);
      else if (event.event === 'preview') callbacks.onPreview?.(event.payload);
      else callbacks.onWarning?.(event.payload.message);
    },
  };
}

/** A result that raced the cancel is dropped: the caller must never save it. */
function unlessCancelled<T>(result: T, signal: AbortSignal | undefined, what: string): T {
  if (signal?.aborted) throw new PipelineError('CANCELLED', `${what} was cancelled`);
  return result;
}

export class OnnxBackend implements Backend {
  constructor(private readonly options: OnnxBackendOptions) {}

  capabilities(): BackendCapabilities {
    return CAPABILITIES;
  }

  async generate(job: GenerationJob, callbacks: BackendCallbacks = {}): Promise<GenerationResult> {
    // Checked before the worker starts: the local pipeline does not apply LoRAs yet.
    if (job.loras.length > 0) {
      throw new PipelineError('INVALID_INPUT', `the local ONNX pipeline does not apply LoRAs yet (asked for ${job.loras.map((l) => l.name).join(', ')}); remove them, or run the job on a ComfyUI server`, { argument: 'loras' });
    }
    const result = await this.options.client().generate(job.request, workerOptions(callbacks));
    return unlessCancelled(result, callbacks.signal, 'generation');
  }

  async upscale(request: UpscaleRequest, callbacks: BackendCallbacks = {}): Promise<UpscaleResult> {
    const result = await this.options.client().upscale(request, workerOptions(callbacks));
    return unlessCancelled(result, callbacks.signal, 'upscaling');
  }

  async listModels(): Promise<readonly BackendModel[]> {
    const extra = this.options.extraModels?.() ?? [];
    const cached = (await listCachedModels(this.options.cacheRoot)).map((m) => ({ id: m.dir, name: `${m.repo}@${m.commit.slice(0, 7)}`, family: m.pipelineClass }));
    return [...extra, ...cached.filter((m) => !extra.some((e) => e.id === m.id))];
  }
}
