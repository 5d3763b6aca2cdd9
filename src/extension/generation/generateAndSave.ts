/**
 * One generation from the host: run the request on the worker, drop a result that raced a cancel,
 * save it as a new file with its parameters, log what happened. Used by the command, the side panel
 * and the canvas, each with its own progress UI.
 */
import path from 'node:path';
import type * as vscode from 'vscode';
import { PipelineError } from '../../shared/errors';
import type { PipelineEvents } from '../../shared/protocol/pipeline';
import type { GenerationRequest } from '../../shared/request';
import { readSettings } from '../config/settings';
import { saveGenerated, type SaveOptions, type SaveTarget } from '../../host/output/saveGenerated';
import { checkWritableFolder } from '../../host/output/saveImage';
import type { PipelineClient, PipelineEvent } from '../../host/worker/pipelineClient';

export interface JobDeps {
  readonly client: () => PipelineClient;
  readonly log: vscode.LogOutputChannel;
}

export interface JobCallbacks {
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: PipelineEvent) => void;
  /** Labels for files the request was made from (metadata), e.g. workspace-relative paths. */
  readonly labels?: Pick<SaveOptions, 'initImageLabel' | 'maskLabel' | 'controlLabels'>;
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
    case 'upscaling':
      return `Upscaling, tile ${p.step + 1}/${p.totalSteps}`;
    default:
      return 'Saving…';
  }
}

export async function generateAndSave(deps: JobDeps, request: GenerationRequest, target: SaveTarget, callbacks: JobCallbacks = {}): Promise<string> {
  // An output folder that cannot take the file fails now, not after the last step.
  await checkWritableFolder(target.dir);
  deps.log.info(`generate (${request.kind}): "${request.prompt.slice(0, 80)}" seed ${request.sampling.seed}, ${request.sampling.steps} steps, model ${request.modelDir}`);
  const result = await deps.client().generate(request, {
    signal: callbacks.signal,
    onEvent: (event) => {
      if (event.event === 'warning') deps.log.warn(event.payload.message);
      callbacks.onEvent?.(event);
    },
  });
  // A result that raced the Cancel button is dropped, never saved.
  if (callbacks.signal?.aborted) throw new PipelineError('CANCELLED', 'generation was cancelled');
  const saved = await saveGenerated(request, result, target, { writeMetadata: readSettings().writeMetadata, modelName: path.basename(request.modelDir), ...callbacks.labels });
  deps.log.info(`saved ${saved} (${result.modelFamily} on ${result.executionProvider}, ${(result.timings.totalMs / 1000).toFixed(1)} s, session.run ${(result.timings.sessionRunMs / 1000).toFixed(1)} s)`);
  return saved;
}
