/**
 * "Atelier: Build Assets" (every recipe in the workspace) and "Build This Recipe" (the CodeLens): the
 * same build as `atelier build`, on the extension's warm worker, under a cancellable notification that
 * names each asset and its step. The outcome of every recipe goes to the log; failures are summed up
 * in one message with a way to the log.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { hubEnvironment } from '../../host/models/hubEnvironment';
import { findRecipes, localModelResolver } from '../../host/recipes/loadRecipes';
import { runBuild, type BuildItem, type BuildMode, type BuildReport } from '../../host/recipes/runBuild';
import { demoModelDir, readSettings } from '../config/settings';
import { progressMessage } from '../generation/generateAndSave';
import type { GenerateDeps } from '../generation/deps';

const onBuilt = new vscode.EventEmitter<void>();
/** Fired after every build, so the CodeLenses refresh. */
export const onDidBuild = onBuilt.event;

/** The recipe files to build, per workspace folder (their root): the target (file or folder), or every folder. */
async function targets(target: vscode.Uri | undefined): Promise<{ root: string; recipes: string[] }[]> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  if (target) {
    const folder = vscode.workspace.getWorkspaceFolder(target);
    if (!folder) throw new Error(`${target.fsPath} is not in a workspace folder; Atelier builds recipes inside the workspace`);
    return [{ root: folder.uri.fsPath, recipes: await findRecipes([target.fsPath]) }];
  }
  const out = [];
  for (const f of folders) out.push({ root: f.uri.fsPath, recipes: await findRecipes([f.uri.fsPath]) });
  return out;
}

function logItem(log: vscode.LogOutputChannel, item: BuildItem): void {
  const why = item.reasons.length > 0 ? ` (${item.reasons.join('; ')})` : '';
  const line = `build: ${item.outcome} ${item.image}${why}`;
  if (item.outcome === 'failed' || item.outcome === 'blocked') log.warn(line);
  else log.info(line);
  for (const p of item.problems) log.warn(`  ${p}`);
  for (const n of item.notes) log.info(`  note: ${n}`);
}

/** Runs a build (or a check) over `target`; `quiet` for the CodeLens status, which only reads. */
export async function runWorkspaceBuild(deps: GenerateDeps, target: vscode.Uri | undefined, mode: BuildMode, options: { readonly force?: boolean; readonly signal?: AbortSignal; readonly progress?: vscode.Progress<{ message?: string; increment?: number }> } = {}): Promise<BuildReport> {
  const settings = readSettings();
  const items: BuildItem[] = [];
  let ok = true;
  for (const { root, recipes } of await targets(target)) {
    if (recipes.length === 0) continue;
    let current = '';
    const report = await runBuild({
      root,
      recipes,
      resolveModel: localModelResolver({ demoDir: demoModelDir(deps.context.extensionPath), cacheRoot: hubEnvironment().cacheRoot }),
      backend: (recipe) => {
        const backend = deps.backend();
        const wanted = recipe.backend ?? 'local';
        const running = backend.capabilities().backend;
        if (wanted !== running) throw new Error(wanted === 'comfyui' ? 'this recipe runs on a ComfyUI server ("backend": "comfyui"), but Atelier runs locally here; connect a ComfyUI server, or set "backend": "local" with a local model' : 'this recipe runs on the local pipeline ("backend": "local"), but Atelier is set to a ComfyUI server; switch the backend to local to build it, or name the server\'s "checkpoint" with "backend": "comfyui"');
        return backend;
      },
      segmentPerson: async (image) => (await deps.client().segmentPerson({ width: image.width, height: image.height, rgba: image.data, executionProvider: settings.executionProvider })).mask,
      mode,
      force: options.force ?? false,
      executionProvider: settings.executionProvider,
      controlNetRoots: settings.controlNetFolders,
      writeMetadata: settings.writeMetadata,
      signal: options.signal,
      onStart: (item) => {
        current = `[${item.index + 1}/${item.total}] ${path.basename(item.image)}`;
        options.progress?.report({ message: `${current}: ${item.action === 'generate' ? 'generating…' : 'writing files…'}` });
      },
      callbacks: { onProgress: (p) => options.progress?.report({ message: `${current}: ${progressMessage(p)}` }), onWarning: (m) => deps.log.warn(m) },
      onItem: (item) => {
        if (mode === 'build') logItem(deps.log, item);
      },
    });
    items.push(...report.items);
    ok &&= report.ok;
  }
  if (mode === 'build') onBuilt.fire();
  return { items, ok };
}

function summary(report: BuildReport): string {
  const count = (o: BuildItem['outcome']): number => report.items.filter((i) => i.outcome === o).length;
  const parts = (['built', 'derived', 'recorded', 'up-to-date', 'blocked', 'failed', 'cancelled'] as const).filter((o) => count(o) > 0).map((o) => `${count(o)} ${o.replace(/-/g, ' ')}`);
  return parts.join(', ');
}

/** The command: build `target` (a recipe or folder) or the whole workspace, with progress and cancel. */
export async function buildAssets(deps: GenerateDeps, target?: vscode.Uri): Promise<BuildReport | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Atelier: building assets runs the models and reads the files the recipes name, so it needs a trusted workspace. Trust this workspace to build.');
    return undefined;
  }
  await vscode.workspace.saveAll(false);
  try {
    const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Atelier: building assets', cancellable: true }, (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return runWorkspaceBuild(deps, target, 'build', { signal: abort.signal, progress });
    });
    if (report.items.length === 0) {
      void vscode.window.showInformationMessage('Atelier: no recipes (*.atelier.json) found. Generate an image (a recipe is written beside it), or write one by hand.');
    } else if (report.ok) {
      void vscode.window.showInformationMessage(`Atelier: ${summary(report)}.`);
    } else {
      const first = report.items.find((i) => i.problems.length > 0 || i.outcome === 'blocked');
      const detail = first ? ` ${first.problems[0] ?? `${first.image}: ${first.reasons[0] ?? ''}`}` : '';
      void vscode.window.showErrorMessage(`Atelier: ${summary(report)}.${detail}`, 'Show Log').then((choice) => choice && deps.log.show());
    }
    return report;
  } catch (error) {
    void vscode.window.showErrorMessage(`Atelier: the build could not start: ${(error as Error).message}`);
    return undefined;
  }
}
