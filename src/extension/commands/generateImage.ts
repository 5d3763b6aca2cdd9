/**
 * "Atelier: Generate Image": prompt (with recent prompts) → supervised worker with a cancellable
 * progress notification → PNG saved (never over an existing file) → opened beside the editor.
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { configuredModel, jobSettings, readSettings } from '../config/settings';
import { generationSummary, modelLabel } from '../../host/generation/summary';
import { trustedModel } from './askForModel';
import { decideOutputFolder } from '../../host/output/outputFolder';
import { generateWithProgress, openBeside } from '../generation/generateWithProgress';
import { buildJob, type JobInput } from '../../host/jobs/buildJob';
import { drawSeed } from '../../host/jobs/seed';
import { defaultStem } from '../../host/jobs/stem';
import { targetOfFile } from '../../host/output/outputTarget';
import { showPipelineError } from '../ui/errorNotice';
import { readRecentPrompts, withRecentPrompt } from '../../host/panel/recentPrompts';
import type { GenerateDeps } from '../generation/deps';

const RECENT_KEY = 'atelier.recentPrompts';

const SETTINGS_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('settings-gear'), tooltip: 'Change the generation settings (shared with the side panel and the canvas)' };

async function askPrompt(context: vscode.ExtensionContext, initial?: string, serverModel?: string): Promise<string | undefined> {
  const recent = readRecentPrompts(context.globalState.get(RECENT_KEY));
  const settings = readSettings();
  const model = configuredModel(context);
  const pick = vscode.window.createQuickPick();
  // The values this generation uses, where the user generates: the same settings the panel and the canvas use.
  const label = serverModel !== undefined ? `ComfyUI ${serverModel}` : model ? modelLabel(model.dir, model.demo) : undefined;
  pick.title = `Atelier: Generate Image · ${generationSummary(settings, label, settings)}`;
  pick.placeholder = 'Describe the image (Enter to generate; recent prompts below)';
  pick.items = recent.map((label) => ({ label, description: 'recent' }));
  pick.value = initial ?? '';
  pick.ignoreFocusOut = true;
  pick.buttons = [SETTINGS_BUTTON];
  return new Promise<string | undefined>((resolve) => {
    pick.onDidTriggerButton(() => {
      pick.hide();
      void vscode.commands.executeCommand('workbench.action.openSettings', 'atelier.');
    });
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

/** Where a result goes: the output folder, or (none decided) the file the user names; the job builder names files in a folder. */
export async function resolveTarget(prompt: string, seed: number, setting: string): Promise<JobInput['output'] | undefined> {
  const decision = decideOutputFolder({
    setting,
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
    activeFile: vscode.window.activeTextEditor?.document.uri.scheme === 'file' ? vscode.window.activeTextEditor.document.uri.fsPath : undefined,
  });
  if (decision.kind === 'folder') return { dir: decision.dir };
  const uri = await vscode.window.showSaveDialog({
    title: 'Save the generated image',
    defaultUri: vscode.Uri.file(path.join(os.homedir(), `${defaultStem(prompt, seed)}.png`)),
    filters: { 'PNG image': ['png'], 'JPEG image': ['jpg', 'jpeg'], 'WebP image': ['webp'] },
  });
  return uri ? targetOfFile(uri.fsPath) : undefined;
}

/** A generation asked for by something other than the palette (the missing-image quick fix). */
export interface GenerateOptions {
  /** Shown in the prompt box for the user to accept or edit. */
  readonly initialPrompt?: string;
  readonly width?: number;
  readonly height?: number;
  /** The exact file to write (its folder is created); a file already there is never overwritten. */
  readonly file?: string;
}

/** The target for an exact file, its folder created first. */
async function fileTarget(file: string): Promise<JobInput['output']> {
  await mkdir(path.dirname(file), { recursive: true });
  return targetOfFile(file);
}

export async function generateImage(deps: GenerateDeps, promptArg?: string, options: GenerateOptions = {}): Promise<vscode.Uri | undefined> {
  const modelDir = await trustedModel(deps, (problem) => void vscode.window.showWarningMessage(problem));
  if (!modelDir) return undefined;
  const onServer = deps.backend().capabilities().backend === 'comfyui';
  const prompt = typeof promptArg === 'string' ? promptArg : await askPrompt(deps.context, options.initialPrompt, onServer ? modelDir : undefined);
  if (prompt === undefined) return undefined;
  await deps.context.globalState.update(RECENT_KEY, withRecentPrompt(readRecentPrompts(deps.context.globalState.get(RECENT_KEY)), prompt));

  const settings = readSettings();
  try {
    // The seed is drawn before the save dialog, which offers a name with it.
    const seed = drawSeed(settings.seed);
    const output = options.file ? await fileTarget(options.file) : await resolveTarget(prompt, seed, settings.outputFolder);
    if (!output) return undefined;
    const size = { width: options.width ?? settings.width, height: options.height ?? settings.height };
    const job = buildJob({ modelDir, prompt, settings: { ...jobSettings(settings), seed, ...size }, source: { kind: 'txt2img' }, output });
    const file = await generateWithProgress(deps, job);
    await openBeside(file);
    return vscode.Uri.file(file);
  } catch (error) {
    await showPipelineError(error, deps.log);
    return undefined;
  }
}
