/**
 * "Choose Model…": an ONNX model folder, or a `.safetensors` checkpoint that the worker converts once (a
 * cancellable progress notification) into a cached ONNX folder under the extension's global storage. The
 * choice is validated by the worker before it is saved.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { isCheckpointFile } from '../../shared/convert';
import type { PipelineClient } from '../../host/worker/pipelineClient';
import { setModelPath } from '../config/settings';
import { showPipelineError } from '../ui/errorNotice';
import { modelTrustProblem } from './trust';

/** Converts a checkpoint with a cancellable progress notification; the converted folder, or undefined if cancelled. */
export async function convertWithProgress(client: () => PipelineClient, checkpoint: string, cacheRoot: string, log: vscode.LogOutputChannel): Promise<string | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Atelier: preparing ${path.basename(checkpoint)}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let reported = 0;
      const result = await client().convertCheckpoint(
        { checkpoint, loras: [], precision: 'fp32', cacheRoot },
        {
          signal: abort.signal,
          onEvent: (event) => {
            if (event.event === 'warning') log.warn(event.payload.message);
            if (event.event !== 'progress' || event.payload.totalSteps <= 0) return;
            const percent = Math.floor((100 * event.payload.step) / event.payload.totalSteps);
            progress.report({ message: `${event.payload.phase} ${percent}%`, increment: Math.max(0, percent - reported) });
            reported = percent;
          },
        },
      );
      log.info(`${result.reused ? 'reusing' : 'converted'} ${checkpoint} → ${result.modelDir} (${result.family}, ${result.prediction}: ${result.predictionWhy})`);
      return abort.signal.aborted ? undefined : result.modelDir;
    },
  );
}

/**
 * `convertedRoot` given: a `.safetensors` file picker (Windows and Linux dialogs cannot pick files and folders at
 * once, so the checkpoint has its own command, "Choose .safetensors Checkpoint…"); otherwise a folder picker.
 */
export async function chooseModelFolder(client: () => PipelineClient, log: vscode.LogOutputChannel, convertedRoot?: string): Promise<string | undefined> {
  const checkpoint = convertedRoot !== undefined;
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: !checkpoint,
    canSelectFiles: checkpoint,
    canSelectMany: false,
    filters: checkpoint ? { 'Stable Diffusion checkpoint (SD 1.x, 2.x, SDXL)': ['safetensors'] } : undefined,
    openLabel: 'Use This Model',
    title: checkpoint ? 'Choose a .safetensors Stable Diffusion checkpoint (Atelier converts it to ONNX once)' : 'Choose an ONNX Stable Diffusion model folder (the one with model_index.json)',
  });
  let dir = picked?.[0]?.fsPath;
  if (!dir) return undefined;
  const trustProblem = modelTrustProblem(dir);
  if (trustProblem) {
    void vscode.window.showWarningMessage(trustProblem);
    return undefined;
  }
  try {
    if (convertedRoot !== undefined && isCheckpointFile(dir)) {
      dir = await convertWithProgress(client, dir, convertedRoot, log);
      if (!dir) return undefined;
    }
    const summary = await client().inspectModel(dir);
    await setModelPath(summary.dir);
    summary.notes.forEach((note) => log.info(note));
    void vscode.window.showInformationMessage(`Atelier will use ${summary.dir} (${summary.pipelineClass}, default sampler ${summary.defaultSampler}).`);
    return summary.dir;
  } catch (error) {
    await showPipelineError(error, log);
    return undefined;
  }
}
