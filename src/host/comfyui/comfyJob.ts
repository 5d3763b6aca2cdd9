/**
 * A whole remote job, as the host's ComfyUI backend runs it:
 * 1. check the job and every choice against what the server lists (before anything is uploaded),
 * 2. upload the images (PNG: the network edge), 3. build the graph (pure), 4. run it, 5. return the
 * decoded result with the names the metadata needs.
 */
import { PipelineError } from '../../shared/errors';
import type { ResolvedSamplerName } from '../../shared/request';
import { buildGraph, nodesFor, upscaleGraph } from './buildGraph';
import { checkWorkflowInput } from './checkInput';
import type { ComfyClient, RunOptions } from './client';
import type { ComfyServerInfo } from './discovery';
import { checkSamplerOffered, toComfySampler } from './samplers';
import type { ComfyUpscaleInput, ComfyWorkflowInput, RawImage } from './workflowInput';

export interface ComfyTimings {
  readonly uploadMs: number;
  readonly submitMs: number;
  /** From the accepted prompt to its last message: queue wait plus the server's own work. */
  readonly waitMs: number;
  readonly downloadMs: number;
  readonly decodeMs: number;
  readonly totalMs: number;
}

export interface ComfyJobResult {
  /** RGB u8; for inpaint and outpaint the whole image ComfyUI returned (the host pastes it back). */
  readonly image: RawImage;
  readonly seed: number;
  readonly steps: number;
  readonly sampler: ResolvedSamplerName;
  /** The checkpoint as the server names it (for metadata). */
  readonly checkpoint: string;
  readonly promptId: string;
  readonly timings: ComfyTimings;
}

/** A name the server does not list, refused with (up to 40 of) the names it does. */
export function refuse(argument: string, what: string, name: string, offered: readonly string[], who: string): PipelineError {
  const list = offered.length === 0 ? `it lists none` : `it lists: ${offered.slice(0, 40).join(', ')}${offered.length > 40 ? `, … (${offered.length} in all)` : ''}`;
  return new PipelineError('INVALID_INPUT', `${who} has no ${what} ${JSON.stringify(name)}; ${list}`, { argument });
}

function checkNodes(info: ComfyServerInfo, nodes: readonly string[], who: string): void {
  const missing = nodes.filter((n) => !info.nodes.has(n));
  if (missing.length > 0) throw new PipelineError('BACKEND_INCOMPATIBLE', `${who} lacks the core node${missing.length > 1 ? 's' : ''} ${missing.join(', ')} this job needs: update ComfyUI`);
}

/** 1. Everything that can be refused before an upload. */
function checkJob(job: ComfyWorkflowInput<RawImage>, info: ComfyServerInfo, who: string): { width: number; height: number } {
  checkWorkflowInput(job);
  checkNodes(info, nodesFor(job.kind, { loras: job.loras.length > 0, controls: job.controls.length > 0 }), who);
  if (!info.checkpoints.includes(job.checkpoint)) throw refuse('model', 'checkpoint', job.checkpoint, info.checkpoints, who);
  for (const lora of job.loras) if (!info.loras.includes(lora.name)) throw refuse('loras', 'LoRA', lora.name, info.loras, who);
  for (const control of job.controls) if (!info.controlNets.includes(control.controlNet)) throw refuse('controls', 'ControlNet', control.controlNet, info.controlNets, who);
  checkSamplerOffered(job.sampling.sampler, toComfySampler(job.sampling.sampler).comfy, info, who);
  if (job.kind === 'txt2img') return { width: job.width, height: job.height };
  const { width, height } = job.image;
  // VAEEncode crops to multiples of 8: the job builder picks the working size, not the server.
  if (width % 8 !== 0 || height % 8 !== 0) throw new PipelineError('INVALID_INPUT', `the image is ${width}×${height}; ComfyUI's VAEEncode would crop it to ${width - (width % 8)}×${height - (height % 8)}: give it a working size in multiples of 8`, { argument: 'initImage' });
  if (job.kind === 'inpaint' && (job.mask.width !== width || job.mask.height !== height || job.mask.channels !== 1)) {
    throw new PipelineError('INVALID_INPUT', `the mask must be one grey channel of the image's size ${width}×${height}, got ${job.mask.width}×${job.mask.height}×${job.mask.channels}`, { argument: 'mask' });
  }
  if (job.kind === 'outpaint') return { width: width + job.extend.left + job.extend.right, height: height + job.extend.top + job.extend.bottom };
  return { width, height };
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await work();
  return [value, performance.now() - start];
}

export async function generateWithComfy(client: ComfyClient, job: ComfyWorkflowInput<RawImage>, options: RunOptions = {}): Promise<ComfyJobResult> {
  const started = performance.now();
  // 1. Check.
  const size = checkJob(job, client.info, client.label);
  const { resolved } = toComfySampler(job.sampling.sampler);
  // 2. Upload (each image once; the server keeps a duplicate under the same content-hash name).
  options.onProgress?.({ phase: 'uploading', step: 0, totalSteps: 0 });
  const [named, uploadMs] = await timed(async () => {
    const up = (image: RawImage): Promise<string> => client.upload(image, options.signal);
    const controls = await Promise.all(job.controls.map(async (c) => ({ ...c, image: await up(c.image) })));
    switch (job.kind) {
      case 'txt2img':
        return { ...job, controls };
      case 'img2img':
      case 'outpaint':
        return { ...job, controls, image: await up(job.image) };
      case 'inpaint':
        return { ...job, controls, image: await up(job.image), mask: await up(job.mask) };
    }
  });
  // 3. Build, 4. run.
  const run = await client.run(buildGraph(named as ComfyWorkflowInput), { exactly: size }, options);
  // 5. Result.
  return {
    image: run.images[0],
    seed: job.sampling.seed,
    steps: job.sampling.steps,
    sampler: resolved,
    checkpoint: job.checkpoint,
    promptId: run.promptId,
    timings: { uploadMs, ...run.timings, totalMs: performance.now() - started },
  };
}

/** Largest upscaled result accepted (as the local upscaler's MAX_UPSCALE_OUTPUT_PIXELS). */
const MAX_UPSCALED_PIXELS = 8192 * 8192;

export async function upscaleWithComfy(client: ComfyClient, job: ComfyUpscaleInput<RawImage>, options: RunOptions = {}): Promise<{ image: RawImage; scale: number; model: string; promptId: string; timings: ComfyTimings }> {
  const started = performance.now();
  checkNodes(client.info, nodesFor('upscale', { loras: false, controls: false }), client.label);
  if (!client.info.upscaleModels.includes(job.model)) throw refuse('model', 'upscale model', job.model, client.info.upscaleModels, client.label);
  options.onProgress?.({ phase: 'uploading', step: 0, totalSteps: 0 });
  const [image, uploadMs] = await timed(() => client.upload(job.image, options.signal));
  const run = await client.run(upscaleGraph({ model: job.model, image }), { multipleOf: { width: job.image.width, height: job.image.height }, maxPixels: MAX_UPSCALED_PIXELS }, options);
  const result = run.images[0];
  return { image: result, scale: result.width / job.image.width, model: job.model, promptId: run.promptId, timings: { uploadMs, ...run.timings, totalMs: performance.now() - started } };
}
