/**
 * Atelier extension entry. Activation is cheap: no onnxruntime here, ever; the pipeline worker
 * process starts on the first job.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { CanvasEditorProvider } from './canvas/canvasEditorProvider';
import { chooseModelFolder } from './commands/chooseModelFolder';
import { generateImage } from './commands/generateImage';
import { getControlNet, getControlNetBase } from './commands/getControlNet';
import { manageModels, setHubToken } from './commands/manageModels';
import { newBlankCanvas, openInCanvas } from './canvas/openInCanvas';
import { upscaleImageFile, useAsControlInput, varyImage } from './commands/imageActions';
import { PromptPanelProvider } from './panel/promptPanelProvider';
import { parseMissingImageArgs, registerMissingImages } from './references/missingImages';
import { demoModelDir, setModelPath } from './config/settings';
import { DEMO_MODEL_SETTING, readmeName } from '../host/models/modelSetting';
import type { PipelineClient } from '../host/worker/pipelineClient';
import { WorkerSupervisor } from '../host/worker/workerSupervisor';
import type { Backend } from '../host/backend/backend';
import { OnnxBackend } from '../host/backend/onnxBackend';
import { hubEnvironment } from '../host/models/hubEnvironment';
import { registerAgentTools } from './agents/registerTools';
import { buildAssets } from './recipes/buildAssets';
import { registerRecipeLenses } from './recipes/recipeLens';
import { BackendSelection } from './backend/backendSelection';
import { chooseCheckpoint, clearComfyToken, setComfyToken } from './backend/comfyCommands';
import { showPipelineError } from './ui/errorNotice';

let supervisor: WorkerSupervisor | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Atelier', { log: true });
  context.subscriptions.push(log);
  const client = (): PipelineClient => {
    supervisor ??= new WorkerSupervisor({
      workerPath: path.join(context.extensionPath, 'dist', 'pipeline-worker.js'),
      log: (level, message) => log[level === 'debug' ? 'debug' : level](message),
    });
    return supervisor;
  };
  let onnx: OnnxBackend | undefined;
  const local = (): Backend => (onnx ??= new OnnxBackend({ client, cacheRoot: hubEnvironment().cacheRoot }));
  // atelier.backend: the local worker, or a ComfyUI server (status bar, token in SecretStorage).
  const selection = new BackendSelection(context, local, log);
  context.subscriptions.push(selection);
  const backend = (): Backend => selection.backend();
  const deps = { context, client, backend, log };

  context.subscriptions.push(
    vscode.commands.registerCommand('atelier.generateImage', (prompt?: unknown) => generateImage(deps, typeof prompt === 'string' ? prompt : undefined)),
    vscode.commands.registerCommand('atelier.generateMissingImage', async (arg?: unknown) => {
      const args = parseMissingImageArgs(arg);
      const inside = args && (vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.scheme === 'file' && !path.relative(f.uri.fsPath, args.file).startsWith('..') && !path.isAbsolute(path.relative(f.uri.fsPath, args.file)));
      if (!args || !inside) {
        log.warn(`atelier.generateMissingImage: ignored an argument that is not an image path inside the workspace`);
        return undefined;
      }
      return generateImage(deps, undefined, { initialPrompt: args.prompt, width: args.width, height: args.height, file: args.file });
    }),
    vscode.commands.registerCommand('atelier.chooseModelFolder', () => chooseModelFolder(client, log)),
    vscode.commands.registerCommand('atelier.chooseCheckpoint', () => chooseModelFolder(client, log, path.join(context.globalStorageUri.fsPath, 'converted'))),
    vscode.commands.registerCommand('atelier.useDemoModel', async () => {
      // A marker, not the path: the demo's folder lies inside this version's install folder.
      await setModelPath(DEMO_MODEL_SETTING);
      void vscode.window.showInformationMessage('Atelier will use its built-in demo model: an analytic test model that paints prompt-dependent gradients, not a trained model.');
      return demoModelDir(context.extensionPath);
    }),
    vscode.commands.registerCommand('atelier.howToGetModel', () => howToGetModel(context, log)),
    vscode.commands.registerCommand('atelier.restartWorker', async () => {
      await supervisor?.restart();
      log.info('the pipeline worker will start fresh on the next job');
      void vscode.window.showInformationMessage('Atelier: the worker will start fresh on the next job.');
    }),
    vscode.commands.registerCommand('atelier.showLog', () => log.show()),
    vscode.commands.registerCommand('atelier.setComfyToken', () => setComfyToken(context, selection)),
    vscode.commands.registerCommand('atelier.clearComfyToken', () => clearComfyToken(context, selection)),
    vscode.commands.registerCommand('atelier.checkComfyServer', async () => {
      try {
        return await selection.check();
      } catch (error) {
        await showPipelineError(error, log);
        return false;
      }
    }),
    vscode.commands.registerCommand('atelier.chooseComfyCheckpoint', async () => {
      const chosen = await chooseCheckpoint(backend());
      return chosen;
    }),
    vscode.commands.registerCommand('atelier.manageModels', () => manageModels({ context, log })),
    vscode.commands.registerCommand('atelier.getControlNet', (type?: unknown, id?: unknown) => getControlNet({ context, log }, typeof type === 'string' ? type : undefined, typeof id === 'string' ? id : undefined)),
    vscode.commands.registerCommand('atelier.getControlNetBase', () => getControlNetBase({ context, log })),
    vscode.commands.registerCommand('atelier.setHubToken', () => setHubToken({ context, log })),
    vscode.commands.registerCommand('atelier.openInCanvas', (uri?: vscode.Uri) => openInCanvas(uri)),
    vscode.commands.registerCommand('atelier.newCanvas', () => newBlankCanvas()),
    vscode.commands.registerCommand('atelier.vary', (uri?: vscode.Uri) => varyImage(deps, uri)),
    vscode.commands.registerCommand('atelier.inpaint', (uri?: vscode.Uri) => openInCanvas(uri, { action: 'Inpaint', layer: 'mask' })),
    vscode.commands.registerCommand('atelier.useAsControl', (uri?: vscode.Uri) => useAsControlInput(deps, uri)),
    vscode.commands.registerCommand('atelier.upscale', (uri?: vscode.Uri) => upscaleImageFile(deps, uri)),
    vscode.commands.registerCommand('atelier.upscale2x', (uri?: vscode.Uri) => upscaleImageFile(deps, uri, 2)),
    vscode.commands.registerCommand('atelier.upscale4x', (uri?: vscode.Uri) => upscaleImageFile(deps, uri, 4)),
    vscode.commands.registerCommand('atelier.buildAssets', (uri?: vscode.Uri) => buildAssets(deps, uri instanceof vscode.Uri ? uri : undefined)),
    vscode.commands.registerCommand('atelier.buildRecipe', (uri?: vscode.Uri) => buildAssets(deps, uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri)),
    ...registerRecipeLenses(deps),
    CanvasEditorProvider.register(deps),
    PromptPanelProvider.register(deps),
    { dispose: () => void supervisor?.dispose() },
  );
  context.subscriptions.push(...registerAgentTools(deps));
  registerMissingImages(context);
}

/** Opens the README's "How to get a model" section (vsce packages the file as readme.md). */
async function howToGetModel(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<void> {
  let names: string[] = [];
  try {
    names = readdirSync(context.extensionPath);
  } catch (error) {
    log.warn(`cannot list ${context.extensionPath}: ${(error as Error).message}`);
  }
  const name = readmeName(names);
  if (name) {
    await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.joinPath(context.extensionUri, name).with({ fragment: 'how-to-get-a-model' }));
    return;
  }
  log.warn(`no README in ${context.extensionPath}; offering Manage Models instead`);
  const choice = await vscode.window.showInformationMessage('Atelier: the README is missing from this installation. Manage Models lists the models you have and downloads the catalogue\'s.', 'Manage Models');
  if (choice) await vscode.commands.executeCommand('atelier.manageModels');
}

export async function deactivate(): Promise<void> {
  await supervisor?.dispose();
  supervisor = undefined;
}
