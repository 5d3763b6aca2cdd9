/**
 * "Atelier: Generate Image": prompt (with recent prompts) → supervised worker with a cancellable
 * progress notification → PNG saved (never over an existing file) → opened beside the editor.
 */
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Txt2ImgRequest } from '../../shared/request';
import { existsSync } from 'node:fs';
import { readSettings, requestBase } from '../config/settings';
import { loadCatalogue, recommendedModel } from '../models/catalogue';
import { formatBytes } from '../models/units';
import { catalogueFile, offerCatalogueModel } from './manageModels';
import { decideOutputFolder } from '../output/outputFolder';
import { type SaveTarget } from '../output/saveGenerated';
import { generateWithProgress, openBeside } from '../generation/generateWithProgress';
import { promptSlug, splitOutputPath } from '../output/saveImage';
import { showPipelineError } from '../ui/errorNotice';
import { readRecentPrompts, withRecentPrompt } from '../ui/recentPrompts';
import type { PipelineClient } from '../worker/pipelineClient';
import { modelTrustProblem } from './trust';

const RECENT_KEY = 'atelier.recentPrompts';

export interface GenerateDeps {
  readonly context: vscode.ExtensionContext;
  readonly client: () => PipelineClient;
  readonly log: vscode.LogOutputChannel;
}

async function askPrompt(context: vscode.ExtensionContext, initial?: string): Promise<string | undefined> {
  const recent = readRecentPrompts(context.globalState.get(RECENT_KEY));
  const pick = vscode.window.createQuickPick();
  pick.title = 'Atelier: Generate Image';
  pick.placeholder = 'Describe the image (Enter to generate; recent prompts below)';
  pick.items = recent.map((label) => ({ label, description: 'recent' }));
  pick.value = initial ?? '';
  pick.ignoreFocusOut = true;
  return new Promise<string | undefined>((resolve) => {
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0]?.label ?? pick.value;
      resolve(chosen.trim() === '' ? undefined : chosen);
      pick.hide();
    });
    pick.onDidHide(() => {
      resolve(undefined);
      pick.dispose();
    });
    pick.show();
  });
}

/** A GPU execution provider this machine can use (checked without loading onnxruntime). */
function machineHasGpu(extensionPath: string): boolean {
  if (process.platform === 'win32' || (process.platform === 'darwin' && process.arch === 'arm64')) return true;
  return existsSync(path.join(extensionPath, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'));
}

export async function resolveModel(deps: GenerateDeps): Promise<string | undefined> {
  const configured = readSettings().modelPath.trim();
  if (configured !== '') return configured;
  // First run: offer the catalogue's recommendation for this machine, with its size.
  const recommended = recommendedModel(loadCatalogue(catalogueFile(deps.context)), machineHasGpu(deps.context.extensionPath));
  const download = recommended ? `Download ${recommended.name} (${formatBytes(recommended.sizeBytes)})…` : undefined;
  const choice = await vscode.window.showInformationMessage(
    'Atelier needs a Stable Diffusion ONNX model folder to generate images.',
    ...(download ? [download] : []),
    'Choose Model Folder…',
    'Use Demo Model',
    'How to get a model',
  );
  if (recommended && choice === download) return offerCatalogueModel(deps, recommended, true);
  if (choice === 'Choose Model Folder…') return vscode.commands.executeCommand<string | undefined>('atelier.chooseModelFolder');
  if (choice === 'Use Demo Model') return vscode.commands.executeCommand<string | undefined>('atelier.useDemoModel');
  if (choice === 'How to get a model') await vscode.commands.executeCommand('atelier.howToGetModel');
  return undefined;
}

export async function resolveTarget(prompt: string, seed: number, setting: string): Promise<SaveTarget | undefined> {
  const decision = decideOutputFolder({
    setting,
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
    activeFile: vscode.window.activeTextEditor?.document.uri.scheme === 'file' ? vscode.window.activeTextEditor.document.uri.fsPath : undefined,
  });
  if (decision.kind === 'folder') return { dir: decision.dir };
  const uri = await vscode.window.showSaveDialog({
    title: 'Save the generated image',
    defaultUri: vscode.Uri.file(path.join(os.homedir(), `${promptSlug(prompt)}-${seed}.png`)),
    filters: { 'PNG image': ['png'] },
  });
  return uri ? splitOutputPath(uri.fsPath) : undefined;
}

export async function generateImage(deps: GenerateDeps, promptArg?: string): Promise<vscode.Uri | undefined> {
  const modelDir = await resolveModel(deps);
  if (!modelDir) return undefined;
  const trustProblem = modelTrustProblem(modelDir);
  if (trustProblem) {
    void vscode.window.showWarningMessage(trustProblem);
    return undefined;
  }
  const prompt = typeof promptArg === 'string' ? promptArg : await askPrompt(deps.context);
  if (prompt === undefined) return undefined;
  await deps.context.globalState.update(RECENT_KEY, withRecentPrompt(readRecentPrompts(deps.context.globalState.get(RECENT_KEY)), prompt));

  const settings = readSettings();
  const request: Txt2ImgRequest = { kind: 'txt2img', ...requestBase(settings, modelDir, prompt), width: settings.width, height: settings.height };
  const target = await resolveTarget(prompt, request.sampling.seed, settings.outputFolder);
  if (!target) return undefined;

  try {
    const file = await generateWithProgress(deps, request, target);
    await openBeside(file);
    return vscode.Uri.file(file);
  } catch (error) {
    await showPipelineError(error, deps.log);
    return undefined;
  }
}
