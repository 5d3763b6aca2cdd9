/** The memory pre-check of a generation job: what still has to load, and at which size it runs. */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { GenerationRequest } from '../../shared/request';
import { firstProvider } from '../backends/onnx';
import { inspectModelFolder } from '../models/modelFolder';
import type { LoadedModel } from './loadedModel';
import { availableMemoryBytes, checkJobFits, type MemoryNeed } from './memoryBudget';

/** Bytes of a graph with its external data: every regular file in its component folder (unet/, vae_decoder/ …). */
export function graphBytes(file: string): number {
  const dir = path.dirname(file);
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isFile()) total += statSync(path.join(dir, entry.name)).size;
  return total;
}

/**
 * Throws NOT_ENOUGH_MEMORY before a CPU job that would not fit. `warm` is the model already loaded for
 * this folder and provider, if any: its weights are resident already. GPU jobs are not checked (their
 * activations live in device memory). Image jobs check the weights; their size is known only after decoding.
 */
/** `ATELIER_MEMORY_CHECK=off` runs a job the estimate refuses (the estimate is calibrated on SD 1.5 and may be high for other models and large sizes). */
export function memoryCheckEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.ATELIER_MEMORY_CHECK ?? '').trim().toLowerCase() !== 'off';
}

export function precheckJobMemory(request: GenerationRequest, warm: LoadedModel | undefined, available: number = availableMemoryBytes(), env: NodeJS.ProcessEnv = process.env): MemoryNeed | undefined {
  if (!memoryCheckEnabled(env)) return undefined;
  const provider = warm?.provider ?? firstProvider(request.executionProvider);
  if (provider !== 'cpu') return undefined;
  const folder = warm?.folder ?? inspectModelFolder(request.modelDir);
  const graphs = [folder.unet, folder.textEncoder, folder.vaeDecoder, ...(folder.vaeEncoder ? [folder.vaeEncoder] : [])];
  const unetBytes = graphBytes(folder.unet);
  const weightsToLoadBytes = warm ? 0 : graphs.reduce((sum, file) => sum + graphBytes(file), 0);
  const size = request.kind === 'txt2img' ? { width: request.width, height: request.height } : undefined;
  return checkJobFits({ unetBytes, weightsToLoadBytes, ...size }, available);
}
