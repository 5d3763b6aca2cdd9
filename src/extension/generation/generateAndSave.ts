/**
 * One generation from the host: run the job on the backend (which drops a result that raced a cancel),
 * save it as a new file with its parameters, log what happened. Used by the command, the side panel
 * and the canvas, each with its own progress UI.
 */
import path from 'node:path';
import type * as vscode from 'vscode';
import type { PipelineEvents } from '../../shared/protocol/pipeline';
import type { GenerationJob } from '../../host/jobs/job';
import { readSettings } from '../config/settings';
import { saveGenerated } from '../../host/output/saveGenerated';
import { checkWritableFolder } from '../../host/output/saveImage';
import { saveRecipeFor } from './saveRecipe';
import { callbacksFor, type Backend } from '../../host/backend/backend';
import type { PipelineEvent } from '../../host/worker/pipelineClient';

export interface JobDeps {
  readonly backend: () => Backend;
  readonly log: vscode.LogOutputChannel;
  /** For the built-in demo model's folder, named "demo" in recipes. */
  readonly context?: vscode.ExtensionContext;
}

export interface JobCallbacks {
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: PipelineEvent) => void;
}

/** Words for a progress event, as the notification and the panel show them. */
export function progressMessage(p: PipelineEvents['progress']): string {
  switch (p.phase) {
    case 'denoising':
      return `Step ${p.step}/${p.totalSteps}`;
    case 'loading':
      return 'Loading model…';
    case 'decoding':
      return 'Decoding…';
    case 'encoding':
      return 'Reading the prompt…';
    case 'queued':
      return 'Waiting in the server\'s queue…';
    case 'uploading':
      return 'Uploading…';
    case 'downloading':
      return 'Downloading the result…';
    case 'upscaling':
      return `Upscaling, tile ${p.step + 1}/${p.totalSteps}`;
    default:
      return 'Saving…';
  }
}

export async function generateAndSave(deps: JobDeps, job: GenerationJob, callbacks: JobCallbacks = {}): Promise<string> {
  return (await generateAndSaveWithRecipe(deps, job, callbacks)).image;
}

/** The same, also saying which recipe was written beside the image (none when recipes are off or the image is outside the workspace). */
export async function generateAndSaveWithRecipe(deps: JobDeps, job: GenerationJob, callbacks: JobCallbacks = {}): Promise<{ readonly image: string; readonly recipe: string | undefined }> {
  const { request } = job;
  // An output folder that cannot take the file fails now, not after the last step.
  await checkWritableFolder(job.output.dir);
  deps.log.info(`generate (${request.kind}): "${request.prompt.slice(0, 80)}" seed ${request.sampling.seed}, ${request.sampling.steps} steps, model ${request.modelDir}`);
  const result = await deps.backend().generate(
    job,
    callbacksFor((event) => {
      if (event.event === 'warning') deps.log.warn(event.payload.message);
      callbacks.onEvent?.(event);
    }, callbacks.signal),
  );
  const saved = await saveGenerated(request, result, job.output, { writeMetadata: readSettings().writeMetadata, modelName: result.server ? result.server.checkpoint : path.basename(request.modelDir), ...job.labels });
  const recipe = await saveRecipeFor(job, saved, result.server ? 'comfyui' : 'local', deps.context, deps.log, result.modelDefaults);
  deps.log.info(`saved ${saved} (${result.modelFamily} on ${result.executionProvider}, ${(result.timings.totalMs / 1000).toFixed(1)} s, session.run ${(result.timings.sessionRunMs / 1000).toFixed(1)} s)`);
  return { image: saved, recipe };
}
