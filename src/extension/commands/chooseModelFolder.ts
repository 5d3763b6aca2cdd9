/** "Choose Model Folder…": a folder picker whose choice is validated by the worker before it is saved. */
import * as vscode from 'vscode';
import type { PipelineClient } from '../../host/worker/pipelineClient';
import { setModelPath } from '../config/settings';
import { showPipelineError } from '../ui/errorNotice';
import { modelTrustProblem } from './trust';

export async function chooseModelFolder(client: () => PipelineClient, log: vscode.LogOutputChannel): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Use This Model',
    title: 'Choose an ONNX Stable Diffusion model folder (the one with model_index.json)',
  });
  const dir = picked?.[0]?.fsPath;
  if (!dir) return undefined;
  const trustProblem = modelTrustProblem(dir);
  if (trustProblem) {
    void vscode.window.showWarningMessage(trustProblem);
    return undefined;
  }
  try {
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
