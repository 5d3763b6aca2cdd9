import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { callbacksFor, type BackendProgress } from '../../../src/host/backend/backend';
import { OnnxBackend } from '../../../src/host/backend/onnxBackend';
import { buildJob } from '../../../src/host/jobs/buildJob';
import type { GenerationJob } from '../../../src/host/jobs/job';
import type { GenerateOptions, PipelineClient, PipelineEvent } from '../../../src/host/worker/pipelineClient';
import { PipelineError } from '../../../src/shared/errors';
import type { GenerationRequest, GenerationResult, UpscaleRequest, UpscaleResult } from '../../../src/shared/request';

const job: GenerationJob = buildJob({
  modelDir: '/models/sd',
  prompt: 'a fox',
  settings: { negativePrompt: '', sampler: 'euler', steps: 4, guidanceScale: 7, seed: 11, width: 64, height: 64, executionProvider: 'cpu', workingResolution: 'model', controlNetRoots: [] },
  source: { kind: 'txt2img' },
  output: { dir: '/out' },
});
const result = { png: new Uint8Array([1]), width: 64, height: 64, seed: 11 } as unknown as GenerationResult;
const upscaled = { png: new Uint8Array([2]), width: 128, height: 128 } as unknown as UpscaleResult;
const events: PipelineEvent[] = [
  { event: 'progress', payload: { phase: 'denoising', step: 1, totalSteps: 4 } },
  { event: 'preview', payload: { step: 1, width: 8, height: 8, rgb: new Uint8Array(192) } },
  { event: 'warning', payload: { message: 'prompt truncated' } },
];

/** A worker double: replays the events, then answers (after `before` runs, e.g. a cancel racing the result). */
function fakeWorker(before: () => void = () => {}): { client: () => PipelineClient; generated: GenerationRequest[]; upscaled: UpscaleRequest[] } {
  const generated: GenerationRequest[] = [];
  const upscaledRequests: UpscaleRequest[] = [];
  const replay = (options?: GenerateOptions): void => {
    events.forEach((e) => options?.onEvent?.(e));
    before();
  };
  const client = {
    generate: async (request: GenerationRequest, options?: GenerateOptions) => {
      generated.push(request);
      replay(options);
      return result;
    },
    upscale: async (request: UpscaleRequest, options?: GenerateOptions) => {
      upscaledRequests.push(request);
      replay(options);
      return upscaled;
    },
  } as unknown as PipelineClient;
  return { client: () => client, generated, upscaled: upscaledRequests };
}

const emptyCache = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-backend-'));

describe('OnnxBackend', () => {
  it('runs the job’s request on the worker and splits its events into progress, preview and warning', async () => {
    const worker = fakeWorker();
    const seen: string[] = [];
    const progress: BackendProgress[] = [];
    const backend = new OnnxBackend({ client: worker.client, cacheRoot: emptyCache() });
    const got = await backend.generate(job, { onProgress: (p) => progress.push(p), onPreview: (p) => seen.push(`preview ${p.width}×${p.height}`), onWarning: (m) => seen.push(`warning ${m}`) });
    expect(got).toBe(result);
    expect(worker.generated).toEqual([job.request]);
    expect(progress).toEqual([{ phase: 'denoising', step: 1, totalSteps: 4 }]);
    expect(seen).toEqual(['preview 8×8', 'warning prompt truncated']);
  });

  it('a result that raced the cancel is dropped (CANCELLED), for generate and upscale; without a cancel it comes back', async () => {
    const abort = new AbortController();
    const backend = new OnnxBackend({ client: fakeWorker(() => abort.abort()).client, cacheRoot: emptyCache() });
    await expect(backend.generate(job, { signal: abort.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    const request: UpscaleRequest = { image: new Uint8Array([1]), scale: 2, model: 'slim', executionProvider: 'cpu' };
    const again = new AbortController();
    const racing = new OnnxBackend({ client: fakeWorker(() => again.abort()).client, cacheRoot: emptyCache() });
    await expect(racing.upscale(request, { signal: again.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    const calm = fakeWorker();
    expect(await new OnnxBackend({ client: calm.client, cacheRoot: emptyCache() }).upscale(request, { signal: new AbortController().signal })).toBe(upscaled);
    expect(calm.upscaled).toEqual([request]);
  });

  it('refuses LoRAs before starting the worker, naming the field', async () => {
    const worker = fakeWorker();
    const backend = new OnnxBackend({ client: worker.client, cacheRoot: emptyCache() });
    const error = await backend.generate({ ...job, loras: [{ name: 'detail-tweaker', weight: 0.6 }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', argument: 'loras' });
    expect((error as Error).message).toContain('detail-tweaker');
    expect(worker.generated).toEqual([]);
  });

  it('says what it can do, and lists the extra models (an empty cache adds none)', async () => {
    const backend = new OnnxBackend({ client: fakeWorker().client, cacheRoot: emptyCache(), extraModels: () => [{ id: '/models/sd', name: 'sd' }] });
    expect(backend.capabilities()).toMatchObject({ backend: 'local', loras: false, controlNets: true, upscale: true, kinds: ['txt2img', 'img2img', 'inpaint', 'outpaint'] });
    expect(await backend.listModels()).toEqual([{ id: '/models/sd', name: 'sd' }]);
    expect(await new OnnxBackend({ client: fakeWorker().client, cacheRoot: path.join(emptyCache(), 'missing') }).listModels()).toEqual([]);
  });
});

describe('callbacksFor', () => {
  it('turns backend callbacks back into pipeline events for one listener, and passes the signal', () => {
    const got: PipelineEvent[] = [];
    const signal = new AbortController().signal;
    const callbacks = callbacksFor((e) => got.push(e), signal);
    expect(callbacks.signal).toBe(signal);
    callbacks.onProgress?.({ phase: 'denoising', step: 1, totalSteps: 4 });
    callbacks.onPreview?.({ step: 1, width: 8, height: 8, rgb: new Uint8Array(192) });
    callbacks.onWarning?.('prompt truncated');
    expect(got).toEqual(events);
    expect(callbacksFor(undefined).onProgress).toBeUndefined();
  });
});
