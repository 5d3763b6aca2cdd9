/**
 * "Atelier: Manage Models": installed models (the configured folder and the Hugging Face cache) with
 * family, size and source; actions set-default / reveal / delete; downloads from the catalogue or by
 * repo id with a cancellable progress notification (bytes, speed, ETA).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { toErrorInfo } from '../../shared/errors';
import { configuredModel, networkTimeouts, setModelPath } from '../config/settings';
import { loadCatalogue, runsOn, selectionFor, type CatalogueEntry } from '../../host/models/catalogue';
import { thisMachineProviders } from '../../host/models/machine';
import { deleteCachedModel, listCachedModels, type CachedModel } from '../../host/models/cachedModels';
import { pullModel, type PullResult } from '../../host/models/hub/pull';
import { parseRepoRef, type RepoRef } from '../../host/models/hub/repoId';
import { hubEnvironment } from '../../host/models/hubEnvironment';
import { formatBytes, formatEta } from '../../host/models/units';
import { showPipelineError } from '../ui/errorNotice';

export const HUB_TOKEN_SECRET = 'atelier.huggingFaceToken';

export interface ModelDeps {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
}

export function catalogueFile(context: vscode.ExtensionContext): string {
  return path.join(context.extensionPath, 'assets', 'catalogue.json');
}

async function environment(deps: ModelDeps): Promise<ReturnType<typeof hubEnvironment>> {
  const token = await deps.context.secrets.get(HUB_TOKEN_SECRET);
  return hubEnvironment(process.env, token || undefined, networkTimeouts());
}

/** Downloads with a progress notification; returns the model folder, or undefined when cancelled or failed. */
export async function downloadModel(deps: ModelDeps, ref: RepoRef, entry?: CatalogueEntry): Promise<PullResult | undefined> {
  const env = await environment(deps);
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Atelier: downloading ${ref.repo}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let reported = 0;
        const result = await pullModel(ref, {
          ...env,
          selection: entry ? selectionFor(entry) : undefined,
          signal: abort.signal,
          onNotice: (message) => {
            deps.log.info(`download ${ref.repo}: ${message}`);
            progress.report({ message });
          },
          onProgress: (p) => {
            const percent = p.totalBytes > 0 ? (p.doneBytes / p.totalBytes) * 100 : 0;
            progress.report({
              message: `${formatBytes(p.doneBytes)} of ${formatBytes(p.totalBytes)} · ${formatBytes(p.bytesPerSecond)}/s · ${formatEta(p.etaSeconds)} left`,
              increment: Math.max(0, percent - reported),
            });
            reported = Math.max(reported, percent);
          },
        });
        deps.log.info(`pulled ${ref.repo}@${result.commit} into ${result.dir} (${formatBytes(result.downloadedBytes)} downloaded)`);
        return result;
      },
    );
  } catch (error) {
    if (toErrorInfo(error).code === 'CANCELLED') {
      void vscode.window.showInformationMessage(`Atelier: download of ${ref.repo} paused; the partial files are kept and the next download resumes them.`);
      return undefined;
    }
    await showPipelineError(error, deps.log);
    return undefined;
  }
}

/** Shows the consent dialog (size, licence, providers) and downloads; optionally makes it the default. */
export async function offerCatalogueModel(deps: ModelDeps, entry: CatalogueEntry, makeDefault: boolean): Promise<string | undefined> {
  const detail = [
    `${entry.family}, ${entry.precision}, about ${formatBytes(entry.sizeBytes)}.`,
    `Runs on: ${entry.providers.join(', ')}.`,
    `Licence: ${entry.licence}. Read it on the model page before using the images.`,
    entry.verified ? '' : 'Not verified by Atelier: taken from the model card.',
    runsOn(entry, thisMachineProviders(deps.context.extensionPath)) ? '' : `It does not run on this machine (${thisMachineProviders(deps.context.extensionPath).join(', ')}): download it only to use it elsewhere.`,
    entry.notes,
  ]
    .filter(Boolean)
    .join('\n');
  const choice = await vscode.window.showInformationMessage(`Download ${entry.name} from Hugging Face (${entry.repo})?`, { modal: true, detail }, 'Download');
  if (choice !== 'Download') return undefined;
  const result = await downloadModel(deps, { repo: entry.repo, revision: entry.revision }, entry);
  if (!result) return undefined;
  if (makeDefault && entry.kind === 'pipeline') {
    await setModelPath(result.dir);
    void vscode.window.showInformationMessage(`Atelier will use ${entry.name}.${entry.defaults ? ` Suggested: ${entry.defaults.steps} steps, guidance ${entry.defaults.guidanceScale}.` : ''}`);
  }
  return result.dir;
}

interface ModelItem extends vscode.QuickPickItem {
  readonly action: 'installed' | 'catalogue' | 'byId' | 'token';
  readonly cached?: CachedModel;
  readonly configured?: string;
  readonly entry?: CatalogueEntry;
}

export async function manageModels(deps: ModelDeps): Promise<void> {
  const env = await environment(deps);
  const configured = configuredModel(deps.context)?.dir ?? '';
  const cached = await listCachedModels(env.cacheRoot);
  const catalogue = loadCatalogue(catalogueFile(deps.context));
  const items: ModelItem[] = [{ label: 'Installed', kind: vscode.QuickPickItemKind.Separator, action: 'installed' }];
  if (configured && !cached.some((m) => m.dir === configured)) {
    items.push({ label: `$(check) ${path.basename(configured)}`, description: 'configured folder', detail: configured, action: 'installed', configured });
  }
  for (const m of cached) {
    const entry = catalogue.find((c) => c.repo === m.repo);
    items.push({
      label: `${m.dir === configured ? '$(check) ' : ''}${m.repo}`,
      description: `${entry?.family ?? m.pipelineClass ?? ''} · ${formatBytes(m.sizeBytes)} · Hugging Face cache${m.refs.length ? ` · ${m.refs.join(', ')}` : ''}`,
      detail: entry ? `runs on ${entry.providers.join(', ')}` : m.dir,
      action: 'installed',
      cached: m,
    });
  }
  const providers = thisMachineProviders(deps.context.extensionPath);
  const notHere = (entry: CatalogueEntry): string => (runsOn(entry, providers) ? '' : ' · not for this machine');
  items.push({ label: 'Get a model', kind: vscode.QuickPickItemKind.Separator, action: 'catalogue' });
  for (const entry of catalogue.filter((c) => c.kind === 'pipeline' && !cached.some((m) => m.repo === c.repo))) {
    items.push({ label: `$(cloud-download) ${entry.name}`, description: `~${formatBytes(entry.sizeBytes)} · ${entry.providers.join(', ')} · ${entry.licence}${notHere(entry)}`, detail: entry.notes, action: 'catalogue', entry });
  }
  items.push({ label: 'Get a ControlNet', kind: vscode.QuickPickItemKind.Separator, action: 'catalogue' });
  for (const entry of catalogue.filter((c) => c.kind === 'controlnet')) {
    const base = catalogue.find((c) => c.id === entry.base);
    items.push({
      label: `$(cloud-download) ${entry.name}`,
      description: `${entry.controlType ?? ''} · ~${formatBytes(entry.sizeBytes)} · ${entry.licence}${notHere(entry)}`,
      detail: `${base ? `Runs with ${base.name}. ` : ''}${entry.notes}`,
      action: 'catalogue',
      entry,
    });
  }
  items.push({ label: '$(cloud-download) Download by repo id…', action: 'byId' }, { label: '$(key) Set Hugging Face Token…', action: 'token' });

  const picked = await vscode.window.showQuickPick(items, { title: 'Atelier: Manage Models', placeHolder: `Models in ${env.cacheRoot}${env.offline ? ' (offline mode)' : ''}`, matchOnDescription: true });
  if (!picked) return;
  if (picked.action === 'catalogue' && picked.entry?.kind === 'controlnet') {
    // The same path as the error's "Get … ControlNet" button: provider check, download, base check.
    await vscode.commands.executeCommand('atelier.getControlNet', picked.entry.controlType, picked.entry.id);
  } else if (picked.action === 'catalogue' && picked.entry) {
    await offerCatalogueModel(deps, picked.entry, true);
  } else if (picked.action === 'byId') {
    const id = await vscode.window.showInputBox({
      title: 'Download a model from Hugging Face',
      prompt: 'org/name, optionally @revision (a branch, tag or full commit)',
      placeHolder: 'stable-diffusion-v1-5/stable-diffusion-v1-5@onnx',
      validateInput: (value) => {
        try {
          parseRepoRef(value);
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      },
    });
    if (!id) return;
    const result = await downloadModel(deps, parseRepoRef(id));
    if (result && (await vscode.window.showInformationMessage(`Downloaded ${result.repo}. Use it for Generate Image?`, 'Use It')) === 'Use It') await setModelPath(result.dir);
  } else if (picked.action === 'token') {
    await vscode.commands.executeCommand('atelier.setHubToken');
  } else if (picked.cached || picked.configured) {
    await installedActions(deps, picked.cached, picked.configured ?? picked.cached?.dir ?? '', env.cacheRoot);
  }
}

async function installedActions(deps: ModelDeps, cached: CachedModel | undefined, dir: string, cacheRoot: string): Promise<void> {
  const actions = ['Use for Generate Image', 'Reveal in File Explorer', ...(cached ? ['Delete…'] : [])];
  const action = await vscode.window.showQuickPick(actions, { title: cached ? cached.repo : dir });
  if (action === 'Use for Generate Image') {
    await setModelPath(dir);
  } else if (action === 'Reveal in File Explorer') {
    await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(existsSync(path.join(dir, 'model_index.json')) ? path.join(dir, 'model_index.json') : dir));
  } else if (action === 'Delete…' && cached) {
    const ok = await vscode.window.showWarningMessage(
      `Delete ${cached.repo} (${formatBytes(cached.sizeBytes)}) from the Hugging Face cache?`,
      { modal: true, detail: `Snapshot ${cached.commit}. Files shared with another revision of the same repo are kept. Python tools that use this cache will download it again if needed.` },
      'Delete',
    );
    if (ok !== 'Delete') return;
    const result = await deleteCachedModel(cacheRoot, cached.repo, cached.commit);
    if (configuredModel(deps.context)?.dir === cached.dir) await setModelPath('');
    for (const note of result.leftAlone) deps.log.warn(`delete ${cached.repo}: ${note}`);
    const kept = result.leftAlone.length > 0 ? ` ${result.leftAlone.length} item(s) outside the cache's own folders were left alone (see the log).` : '';
    void vscode.window.showInformationMessage(`Atelier: deleted ${cached.repo}; ${formatBytes(result.freedBytes)} freed.${kept}`);
  }
}

export async function setHubToken(deps: ModelDeps): Promise<void> {
  const token = await vscode.window.showInputBox({
    title: 'Hugging Face access token',
    prompt: 'Stored in VS Code\'s secret storage, never in settings. Leave empty to remove it.',
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v === '' || /^hf_[A-Za-z0-9]{20,}$/.test(v.trim()) ? undefined : 'Hugging Face tokens start with hf_'),
  });
  if (token === undefined) return;
  if (token.trim() === '') await deps.context.secrets.delete(HUB_TOKEN_SECRET);
  else await deps.context.secrets.store(HUB_TOKEN_SECRET, token.trim());
  void vscode.window.showInformationMessage(token.trim() === '' ? 'Atelier: Hugging Face token removed.' : 'Atelier: Hugging Face token saved in secret storage.');
}
