/**
 * The ComfyUI backend: the same jobs as the local pipeline, run on a ComfyUI server. Connects (and
 * discovers what the server offers) on first use; each job is mapped to a ComfyUI job, its images
 * decoded and brought to a working size, run with progress, previews and cancel, and the result
 * brought back to the original size, inpaint results pasted onto the original on the host.
 */
import { PipelineError } from '../../shared/errors';
import type { ControlNetSummary, GenerationResult, UpscaleRequest, UpscaleResult } from '../../shared/request';
import { controlTypeFromName } from '../../shared/controlNames';
import { ComfyClient, generateWithComfy, upscaleWithComfy, type ComfyClientOptions } from '../comfyui';
import { refuse } from '../comfyui/comfyJob';
import { jobImages, resizeRgb, type JobImages } from '../comfyui/jobImages';
import { place } from '../comfyui/regions';
import type { RawImage } from '../comfyui/workflowInput';
import { refuseUnmappable, toComfyInput } from '../comfyui/jobInput';
import { pasteBack } from '../comfyui/pasteBack';
import { decodeRgba, encodePng } from '../images/imageCodec';
import type { GenerationJob } from '../jobs/job';
import type { Backend, BackendCallbacks, BackendCapabilities, BackendModel } from './backend';

export interface ComfyBackendOptions extends Omit<ComfyClientOptions, 'signal'> {
  readonly url: string;
  /** Read at connect time when no `token` is given (the editor's SecretStorage). */
  readonly tokenSource?: () => Promise<string | undefined>;
}

const CAPABILITIES: BackendCapabilities = { backend: 'comfyui', kinds: ['txt2img', 'img2img', 'inpaint', 'outpaint'], controlNets: true, loras: true, upscale: true, previews: true };

/**
 * The server's answer brought back: img2img to the original size; inpaint pasted onto the original
 * (only-masked: its crop first put back in its box); outpaint with the original placed exactly.
 */
async function finish(job: GenerationJob, images: JobImages, result: RawImage): Promise<RawImage> {
  const { request } = job;
  const { original } = images;
  if (!original) return result;
  if (request.kind === 'outpaint' && images.outpaint) {
    const grown = await resizeRgb(result, images.outpaint.width, images.outpaint.height);
    return place(grown, original, images.outpaint.left, images.outpaint.top);
  }
  if (request.kind === 'inpaint' && images.mask) {
    const painted = images.crop ? place(original, await resizeRgb(result, images.crop.width, images.crop.height), images.crop.x, images.crop.y) : await resizeRgb(result, original.width, original.height);
    return pasteBack(original, painted, images.mask, request.maskBlur);
  }
  return resizeRgb(result, original.width, original.height);
}

export class ComfyBackend implements Backend {
  private connecting?: Promise<ComfyClient>;

  constructor(private readonly options: ComfyBackendOptions) {}

  capabilities(): BackendCapabilities {
    return CAPABILITIES;
  }

  /** The connected client (discovery once; a failed connect is retried on the next call). */
  client(signal?: AbortSignal): Promise<ComfyClient> {
    this.connecting ??= (async () => {
      const token = this.options.token ?? (await this.options.tokenSource?.());
      return ComfyClient.connect(this.options.url, { ...this.options, token, signal });
    })().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  async generate(job: GenerationJob, callbacks: BackendCallbacks = {}): Promise<GenerationResult> {
    const started = performance.now();
    const warnings: string[] = [];
    const warn = (message: string): void => {
      warnings.push(message);
      callbacks.onWarning?.(message);
    };
    const client = await this.client(callbacks.signal);
    // 1. Checked before any decoding: what no server job carries, and names the server does not list (with its list).
    refuseUnmappable(job);
    const { info, label } = client;
    if (!info.checkpoints.includes(job.request.modelDir)) throw refuse('model', 'checkpoint', job.request.modelDir, info.checkpoints, label);
    for (const lora of job.loras) if (!info.loras.includes(lora.name)) throw refuse('loras', 'LoRA', lora.name, info.loras, label);
    for (const c of job.request.controls ?? []) if (c.controlNetDir && !info.controlNets.includes(c.controlNetDir)) throw refuse('controls', 'ControlNet', c.controlNetDir, info.controlNets, label);
    // 2. Decode the images, map the job (refusing what a ComfyUI job cannot carry), 3. run it.
    const images = await jobImages(job.request, job.labels, warn);
    const input = toComfyInput(job, images.working);
    if (input.kind === 'outpaint') warn('on ComfyUI the new area starts grey (ImagePadForOutpaint), not from the stretched edge');
    const result = await generateWithComfy(client, input, {
      signal: callbacks.signal,
      onProgress: (p) => callbacks.onProgress?.(p),
      onPreview: callbacks.onPreview,
    });
    if (callbacks.signal?.aborted) throw new PipelineError('CANCELLED', 'generation was cancelled');
    // 4. Back to the original's scale; the pixels the job keeps, byte for byte.
    const image = await finish(job, images, result.image);
    const png = await encodePng(image.data, image, image.channels);
    const totalMs = performance.now() - started;
    return {
      png,
      width: image.width,
      height: image.height,
      seed: result.seed,
      sampler: result.sampler,
      steps: result.steps,
      executionProvider: 'comfyui',
      server: { backend: 'comfyui', ...(client.info.version ? { version: client.info.version } : {}), checkpoint: result.checkpoint, promptId: result.promptId },
      modelFamily: `${client.label}`,
      warnings,
      timings: { totalMs, loadMs: 0, sessionRunMs: 0, denoiseMs: result.timings.waitMs, controlNetMs: 0 },
      workerRssBytes: 0,
      workerPeakRssBytes: 0,
      restartRecommended: false,
      controlNets: [],
    };
  }

  /** The server's upscale models are named by the server: use `upscaleWith`. */
  upscale(request: UpscaleRequest): Promise<UpscaleResult> {
    return Promise.reject(new PipelineError('INVALID_INPUT', `the built-in upscaler "${request.model}" runs only locally; on ComfyUI choose one of the server's upscale models (atelier upscale --comfyui <url> --model <name>)`, { argument: 'model' }));
  }

  /**
   * Upscales an image file with one of the server's upscale models (as UpscaleModelLoader lists it).
   * `server` names the host (for messages), `backend` only the engine (for metadata: files travel).
   */
  async upscaleWith(model: string, file: Uint8Array, name: string, callbacks: BackendCallbacks = {}): Promise<{ png: Uint8Array; width: number; height: number; scale: number; model: string; server: string; backend: string; totalMs: number }> {
    const client = await this.client(callbacks.signal);
    const rgba = await decodeRgba(file, name, callbacks.onWarning);
    const rgb = new Uint8Array(rgba.width * rgba.height * 3);
    for (let i = 0; i < rgba.width * rgba.height; i++) rgb.set(rgba.data.subarray(i * 4, i * 4 + 3), i * 3);
    const result = await upscaleWithComfy(client, { model, image: { width: rgba.width, height: rgba.height, channels: 3, data: rgb } }, { signal: callbacks.signal, onProgress: (p) => callbacks.onProgress?.(p) });
    if (callbacks.signal?.aborted) throw new PipelineError('CANCELLED', 'upscaling was cancelled');
    const png = await encodePng(result.image.data, result.image, result.image.channels);
    return { png, width: result.image.width, height: result.image.height, scale: result.scale, model, server: client.label, backend: `ComfyUI${client.info.version ? ` ${client.info.version}` : ''}`, totalMs: result.timings.totalMs };
  }

  async listModels(): Promise<readonly BackendModel[]> {
    const client = await this.client();
    return client.info.checkpoints.map((name) => ({ id: name, name }));
  }

  /** The server's ControlNets, each with the type its name implies (a job takes the name). */
  async listControlNets(): Promise<readonly ControlNetSummary[]> {
    const client = await this.client();
    return client.info.controlNets.map((name) => ({ dir: name, type: controlTypeFromName(name) }));
  }

  close(): void {
    void this.connecting?.then((c) => c.close(), () => undefined);
    this.connecting = undefined;
  }
}
