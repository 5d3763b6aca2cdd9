/** A generation under VS Code's cancellable progress notification, shared by the commands and the canvas. */
import * as vscode from 'vscode';
import type { GenerationJob } from '../../host/jobs/job';
import type { PipelineEvent } from '../../host/worker/pipelineClient';
import { generateAndSave, progressMessage, type JobDeps } from './generateAndSave';

export interface ProgressOptions {
  /** Also told every event (the canvas mirrors them in its status line); warnings then go only here. */
  readonly onEvent?: (event: PipelineEvent) => void;
}

/**
 * Runs a worker job under a notification that shows its progress (step or tile) and cancels it.
 * Warnings go to `onEvent` when given, else to a warning message.
 */
export function withJobProgress<T>(job: (signal: AbortSignal, onEvent: (event: PipelineEvent) => void) => Promise<T>, onEvent?: (event: PipelineEvent) => void): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Atelier', cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    let reported = 0;
    return job(abort.signal, (event) => {
      onEvent?.(event);
      if (event.event === 'warning' && !onEvent) void vscode.window.showWarningMessage(`Atelier: ${event.payload.message}`);
      if (event.event !== 'progress') return;
      const { step, totalSteps } = event.payload;
      const fraction = totalSteps > 0 ? (step / totalSteps) * 100 : 0;
      progress.report({ message: progressMessage(event.payload), increment: Math.max(0, fraction - reported) });
      reported = Math.max(reported, fraction);
    });
  });
}

/** A generation under the progress notification; returns the saved file. */
export function generateWithProgress(deps: JobDeps, job: GenerationJob, options: ProgressOptions = {}): Thenable<string> {
  return withJobProgress((signal, onEvent) => generateAndSave(deps, job, { signal, onEvent }), options.onEvent);
}

/** Opens a result beside the current editor. */
export async function openBeside(file: string): Promise<void> {
  await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file), { viewColumn: vscode.ViewColumn.Beside, preview: false });
}
