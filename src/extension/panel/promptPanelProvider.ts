/**
 * The Atelier side panel (a WebviewView in its own activity-bar container): prompt with a live token
 * counter, Generate/Cancel with live preview right under it, the generation settings (the atelier.*
 * settings, shared with "Generate Image" and the canvas) and the history of images made in this
 * workspace. The panel is a view that can be rebuilt: every `ready` gets the full state.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { toErrorInfo } from '../../shared/errors';
import { PANEL_PROTOCOL_VERSION, type FromPanel, type PanelLocal, type PanelSettings, type ToPanel } from '../../shared/protocol/panel';
import { MAX_SEED } from '../../shared/request';
import { buildJob } from '../../host/jobs/buildJob';
import { drawSeed } from '../../host/jobs/seed';
import { CANVAS_VIEW_TYPE } from '../canvas/canvasEditorProvider';
import { configuredModel, demoModelDir, jobSettings, readSettings, setModelPath, updateGenerationSettings, type AtelierSettings } from '../config/settings';
import { trustedModel } from '../commands/askForModel';
import { configuredCheckpoint, setCheckpoint } from '../backend/comfyCommands';
import { resolveTarget } from '../commands/generateImage';
import type { GenerateDeps } from '../generation/deps';
import { describeForUser } from '../../host/errors/userMessage';
import { generateAndSave, progressMessage } from '../generation/generateAndSave';
import { openBeside } from '../generation/generateWithProgress';
import { thumbnail } from '../../host/images/imageCodec';
import { hubEnvironment } from '../../host/models/hubEnvironment';
import { settingValueFor } from '../../host/models/modelSetting';
import { showBundle } from '../webview/webviewAssets';
import { InvalidMessage } from '../../host/messages/validate';
import { buildHistory, displayFolder, HISTORY_GLOB, readAtelierParameters } from '../../host/panel/historyIndex';
import { parseFromPanel } from '../../host/panel/panelMessages';
import { listModelChoices, type ModelChoice } from '../../host/panel/panelModels';
import { FILE_KINDS, readBounded } from '../../shared/files/boundedRead';

/** A copy that owns exactly its bytes (a Node Buffer may be a view into a larger pooled buffer). */
function exactBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

export const PANEL_VIEW_ID = 'atelier.panel';
const LOCAL_KEY = 'atelier.panelLocal';
const HISTORY_LIMIT = 60;
const THUMB_SIZE = 96;
const DEFAULT_LOCAL: PanelLocal = { prompt: '', batch: 1, reuseSeed: false };

/** The settings the panel shows, from the atelier.* settings. */
export function panelSettings(settings: AtelierSettings): PanelSettings {
  const { negativePrompt, sampler, steps, guidanceScale, seed, width, height } = settings;
  return { negativePrompt, sampler, steps, guidanceScale, seed, width, height };
}

export class PromptPanelProvider implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private models: ModelChoice[] = [];
  private history = new Map<string, string>();
  private readonly historyIds = new Map<string, string>();
  /** `<id>@<mtime>` of the thumbnails the current webview holds. */
  private thumbnailsSent = new Set<string>();
  private job: AbortController | undefined;
  private lastSeed: number | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: GenerateDeps) {}

  static register(deps: GenerateDeps): vscode.Disposable {
    const provider = new PromptPanelProvider(deps);
    const watcher = vscode.workspace.createFileSystemWatcher(HISTORY_GLOB);
    const refresh = (): void => provider.scheduleHistoryRefresh();
    return vscode.Disposable.from(
      vscode.window.registerWebviewViewProvider(PANEL_VIEW_ID, provider),
      watcher,
      watcher.onDidCreate(refresh),
      watcher.onDidDelete(refresh),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('atelier.modelPath') || e.affectsConfiguration('atelier.backend') || e.affectsConfiguration('atelier.comfyui')) void provider.sendInit();
        else if (e.affectsConfiguration('atelier')) provider.sendSettings();
      }),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    showBundle(view.webview, this.deps.context.extensionUri, 'panel', 'Atelier');
    view.webview.onDidReceiveMessage(async (raw: unknown) => {
      let message: FromPanel;
      try {
        message = parseFromPanel(raw);
      } catch (error) {
        if (!(error instanceof InvalidMessage)) throw error;
        this.deps.log.warn(`panel: ignored an invalid message from the webview: ${error.message}`);
        return;
      }
      try {
        await this.handle(message);
      } catch (error) {
        this.deps.log.error(`panel: ${(error as Error).message}`);
      }
    });
    view.onDidDispose(() => (this.view = undefined));
  }

  private post(message: ToPanel): void {
    void this.view?.webview.postMessage(message);
  }

  private local(): PanelLocal {
    return { ...DEFAULT_LOCAL, ...this.deps.context.workspaceState.get<Partial<PanelLocal>>(LOCAL_KEY, {}) };
  }

  /** The choice atelier.modelPath names now ('' when none is set). */
  private selectedModelId(): string {
    if (this.onComfy()) return this.models.find((m) => m.dir === configuredCheckpoint())?.id ?? '';
    const configured = configuredModel(this.deps.context);
    return configured ? (this.models.find((m) => path.resolve(m.dir) === path.resolve(configured.dir))?.id ?? '') : '';
  }

  private async sendInit(): Promise<void> {
    if (!this.view) return;
    this.models = this.onComfy() ? await this.serverModels() : await listModelChoices(configuredModel(this.deps.context), demoModelDir(this.deps.context.extensionPath), hubEnvironment().cacheRoot);
    this.post({
      type: 'init',
      v: PANEL_PROTOCOL_VERSION,
      settings: panelSettings(readSettings()),
      local: this.local(),
      models: this.models.map(({ id, label, description }) => ({ id, label, description })),
      modelId: this.selectedModelId(),
      lastSeed: this.lastSeed,
      busy: this.job !== undefined,
    });
  }

  private onComfy(): boolean {
    return this.deps.backend().capabilities().backend === 'comfyui';
  }

  /** The ComfyUI server's checkpoints (none when it cannot be reached: the status bar says why). */
  private async serverModels(): Promise<ModelChoice[]> {
    try {
      return (await this.deps.backend().listModels()).map((m) => ({ id: `comfyui:${m.id}`, dir: m.id, label: m.name, description: 'ComfyUI checkpoint' }));
    } catch (error) {
      this.deps.log.warn(`panel: no checkpoints from the ComfyUI server: ${(error as Error).message}`);
      return [];
    }
  }

  sendSettings(): void {
    this.post({ type: 'settings', settings: panelSettings(readSettings()), modelId: this.selectedModelId() });
  }

  private async handle(message: FromPanel): Promise<void> {
    switch (message.type) {
      case 'ready':
        // A new (or rebuilt) webview holds no thumbnails yet.
        this.thumbnailsSent = new Set();
        await this.sendInit();
        await this.sendHistory();
        return;
      case 'setSettings': {
        const written = await updateGenerationSettings(message.settings);
        if (written.length > 0) this.deps.log.debug(`panel: wrote atelier.${written.join(', atelier.')}`);
        return;
      }
      case 'local':
        await this.deps.context.workspaceState.update(LOCAL_KEY, message.local);
        return;
      case 'selectModel': {
        const choice = this.models.find((m) => m.id === message.id);
        if (choice && this.onComfy()) await setCheckpoint(choice.dir);
        else if (choice) await setModelPath(settingValueFor(choice.dir, demoModelDir(this.deps.context.extensionPath)));
        return;
      }
      case 'tokenize':
        return this.tokenize(message.field, message.text);
      case 'generate':
        await this.deps.context.workspaceState.update(LOCAL_KEY, message.local);
        return this.generate(message.settings, message.local);
      case 'cancel':
        this.job?.abort();
        return;
      case 'refreshHistory':
        return this.sendHistory();
      case 'chooseModel': {
        const dir = await vscode.commands.executeCommand<string | undefined>('atelier.chooseModelFolder');
        if (dir) await this.sendInit();
        return;
      }
      case 'openSettings':
        await vscode.commands.executeCommand('workbench.action.openSettings', 'atelier.');
        return;
      case 'historyAction':
        return this.historyAction(message.id, message.action);
    }
  }

  private async tokenize(field: 'prompt' | 'negativePrompt', text: string): Promise<void> {
    // The server's checkpoint has no tokenizer here to count with.
    if (this.onComfy()) return;
    const dir = configuredModel(this.deps.context)?.dir ?? this.models[0]?.dir;
    if (!dir) return;
    try {
      const { count, max, chunks } = await this.deps.client().tokenize({ tokenizerDir: path.join(dir, 'tokenizer'), text });
      this.post({ type: 'tokens', field, count, max, chunks: chunks.length });
    } catch (error) {
      this.deps.log.debug(`token count unavailable: ${(error as Error).message}`);
    }
  }

  private async generate(shown: PanelSettings, local: PanelLocal): Promise<void> {
    if (this.job) return;
    const fail = (message: string): void => this.post({ type: 'done', level: 'error', message });
    if (local.prompt.trim() === '') return fail('Type a prompt first.');
    // One source of truth: what the panel shows becomes the settings, and the job reads the settings.
    await updateGenerationSettings(shown);
    const settings = readSettings();
    // No model set: the same question the palette asks (not the demo model behind the user's back).
    let refused: string | undefined;
    const modelDir = await trustedModel(this.deps, (problem) => (refused = problem));
    if (!modelDir) return fail(refused ?? 'No model chosen: pick one under Generation settings, or run Generate again to choose.');
    let firstSeed: number;
    try {
      firstSeed = local.reuseSeed && this.lastSeed !== undefined ? this.lastSeed : drawSeed(settings.seed);
    } catch (error) {
      return fail(describeForUser(toErrorInfo(error)).message);
    }
    const output = await resolveTarget(local.prompt, firstSeed, settings.outputFolder);
    if (!output) return fail('No output folder chosen.');

    const running = new AbortController();
    this.job = running;
    const started = Date.now();
    let last: string | undefined;
    try {
      for (let i = 0; i < local.batch && !running.signal.aborted; i++) {
        const seed = (firstSeed + i) % (MAX_SEED + 1);
        const job = buildJob({ modelDir, prompt: local.prompt, settings: { ...jobSettings(settings), seed }, source: { kind: 'txt2img' }, previewEvery: Math.max(1, settings.previewEvery), output });
        const file = await generateAndSave(this.deps, job, {
          signal: running.signal,
          onEvent: (event) => {
            if (event.event === 'progress') {
              this.post({ type: 'progress', message: progressMessage(event.payload), step: event.payload.step, totalSteps: event.payload.totalSteps, elapsedMs: Date.now() - started, image: i + 1, images: local.batch });
            } else if (event.event === 'preview') {
              this.post({ type: 'preview', width: event.payload.width, height: event.payload.height, rgb: event.payload.rgb });
            } else {
              this.post({ type: 'done', level: 'warning', message: event.payload.message });
            }
          },
        });
        this.lastSeed = seed;
        last = file;
        this.post({ type: 'result', png: exactBytes(await readBounded(file, FILE_KINDS.image)), fileName: path.basename(file), seed });
      }
      this.post({ type: 'done', level: 'info', message: `Done in ${((Date.now() - started) / 1000).toFixed(1)} s.` });
    } catch (error) {
      const info = toErrorInfo(error);
      this.deps.log[info.code === 'CANCELLED' ? 'info' : 'error'](`panel generate: ${info.code}: ${info.message}`);
      this.post({ type: 'done', level: info.code === 'CANCELLED' ? 'info' : 'error', message: info.code === 'CANCELLED' ? 'Cancelled; nothing more was saved.' : describeForUser(info).message });
    } finally {
      this.job = undefined;
      await this.sendHistory();
    }
    // Opened beside the editor, as "Generate Image" opens its result (the last one of a batch).
    if (last) await openBeside(last);
  }

  scheduleHistoryRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.sendHistory(), 500);
  }

  /** A stable id per file, so a new image does not shift the ids (and thumbnails) of the others. */
  private historyId(file: string): string {
    let id = this.historyIds.get(file);
    if (!id) {
      id = String(this.historyIds.size + 1);
      this.historyIds.set(file, id);
    }
    return id;
  }

  private async sendHistory(): Promise<void> {
    if (!this.view) return;
    const files = (await vscode.workspace.findFiles(HISTORY_GLOB, '**/{node_modules,.git}/**', 2000)).filter((u) => u.scheme === 'file').map((u) => u.fsPath);
    const records = await buildHistory(files, HISTORY_LIMIT);
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    this.history = new Map(records.map((r) => [this.historyId(r.file), r.file]));
    this.post({
      type: 'history',
      items: records.map((r) => ({ id: this.historyId(r.file), fileName: path.basename(r.file), folder: displayFolder(r.file, root), prompt: r.parameters.prompt, seed: r.parameters.seed, size: r.parameters.width ? `${r.parameters.width}×${r.parameters.height}` : undefined, modifiedMs: r.modifiedMs })),
    });
    // Only images this view has not been sent yet (or that changed since) are read and thumbnailed again.
    for (const record of records) {
      const id = this.historyId(record.file);
      const key = `${id}@${record.modifiedMs}`;
      if (this.thumbnailsSent.has(key)) continue;
      try {
        this.post({ type: 'thumbnail', id, png: exactBytes(await thumbnail(await readBounded(record.file, FILE_KINDS.image), path.basename(record.file), THUMB_SIZE)) });
        this.thumbnailsSent.add(key);
      } catch (error) {
        this.deps.log.debug(`no thumbnail for ${record.file}: ${(error as Error).message}`);
      }
    }
  }

  private async historyAction(id: string, action: 'open' | 'reuse' | 'canvas' | 'reveal'): Promise<void> {
    const file = this.history.get(id);
    if (!file) return;
    const uri = vscode.Uri.file(file);
    if (action === 'open') await vscode.commands.executeCommand('vscode.open', uri, { preview: false });
    else if (action === 'canvas') await vscode.commands.executeCommand('vscode.openWith', uri, CANVAS_VIEW_TYPE);
    else if (action === 'reveal') await vscode.commands.executeCommand('revealInExplorer', uri);
    else {
      const p = await readAtelierParameters(file);
      if (!p) return;
      // Its values become the settings (the palette and the canvas use them too); the prompt goes to the panel.
      await updateGenerationSettings({
        negativePrompt: p.negativePrompt,
        ...(p.seed !== undefined ? { seed: p.seed } : {}),
        ...(p.steps !== undefined ? { steps: p.steps } : {}),
        ...(p.guidanceScale !== undefined ? { guidanceScale: p.guidanceScale } : {}),
        ...(p.sampler !== undefined ? { sampler: p.sampler } : {}),
        ...(p.width !== undefined && p.height !== undefined ? { width: p.width, height: p.height } : {}),
      });
      await this.deps.context.workspaceState.update(LOCAL_KEY, { ...this.local(), prompt: p.prompt, reuseSeed: false });
      this.post({ type: 'loadPrompt', prompt: p.prompt });
    }
  }
}
