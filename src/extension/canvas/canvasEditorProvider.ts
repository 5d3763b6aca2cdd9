/**
 * "Atelier Canvas": a custom editor for PNG, JPEG and WebP images. The webview draws; this provider
 * validates what it sends, applies it to the document, and answers imports, exports and Generate.
 * No retainContextWhenHidden: a rebuilt webview asks again with `ready` and gets the document.
 */
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { fromOpenPoseJson, resizePose, toOpenPoseJson } from '../../shared/canvas/openpose';
import type { CanvasLayer, FromCanvas, ToCanvas } from '../../shared/protocol/canvas';
import { decodeGrayAt } from '../../host/images/imageCodec';
import { IMAGE_EXTENSIONS } from '../../shared/images/imageInput';
import { showBundle } from '../webview/webviewAssets';
import { InvalidMessage } from '../../host/messages/validate';
import { CanvasDocument } from './canvasDocument';
import { parseFromCanvas } from '../../host/canvas/canvasMessages';
import type { GenerateDeps } from '../generation/deps';
import { generateFromCanvas, installedControlNets } from './generateFromCanvas';
import { controlNetIds } from '../../host/canvas/canvasControls';
import { upscaleImageFile } from '../commands/imageActions';
import { detectFromCanvas } from './detectFromCanvas';
import { FILE_KINDS, readBounded } from '../../shared/files/boundedRead';
import { configuredModel, readSettings } from '../config/settings';
import { generationSummary, modelLabel } from '../../host/generation/summary';

export const CANVAS_VIEW_TYPE = 'atelier.canvas';

/**
 * The editor's name: Save writes the layer files beside the image, never the image, so the tab and
 * the unsaved-changes dialog name the layers ("photo.jpg (layers)"), not the photo.
 */
export function canvasTitle(imagePath: string): string {
  return `${path.basename(imagePath)} (layers)`;
}

/** Why an image cannot be opened in the canvas, or undefined when it can. */
export function canvasLocationProblem(uri: vscode.Uri): string | undefined {
  if (uri.scheme !== 'file') return `Atelier Canvas edits files on disk; ${uri.toString()} is not one.`;
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) return `${path.basename(uri.fsPath)} is outside the workspace. Atelier Canvas saves layer files beside the image, so it edits images inside the workspace only: copy the image into the workspace first.`;
  return undefined;
}

export class CanvasEditorProvider implements vscode.CustomEditorProvider<CanvasDocument> {
  private readonly changed = new vscode.EventEmitter<vscode.CustomDocumentEditEvent<CanvasDocument>>();
  readonly onDidChangeCustomDocument = this.changed.event;

  /** Layers to select when a canvas for this file next reports ready ("Atelier: Inpaint…"). */
  private static readonly pendingFocus = new Map<string, CanvasLayer>();
  private static readonly openDocuments = new Map<string, CanvasDocument>();

  constructor(private readonly deps: GenerateDeps) {}

  /** Opens (or reveals) the canvas for `uri` with `layer` selected. */
  static async openOnLayer(uri: vscode.Uri, layer: CanvasLayer): Promise<void> {
    CanvasEditorProvider.pendingFocus.set(uri.toString(), layer);
    await vscode.commands.executeCommand('vscode.openWith', uri, CANVAS_VIEW_TYPE);
    // An already open canvas does not send ready again: tell its views directly.
    const open = CanvasEditorProvider.openDocuments.get(uri.toString());
    if (open) open.broadcast({ type: 'focusLayer', layer });
  }

  static register(deps: GenerateDeps): vscode.Disposable {
    const provider = new CanvasEditorProvider(deps);
    return vscode.Disposable.from(
      vscode.window.registerCustomEditorProvider(CANVAS_VIEW_TYPE, provider, { supportsMultipleEditorsPerDocument: true }),
      // The generation values shown in every open canvas follow the settings.
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('atelier')) return;
        const message = provider.generationMessage();
        for (const document of CanvasEditorProvider.openDocuments.values()) document.broadcast(message);
      }),
    );
  }

  /** What Generate will use, from the shared settings (the canvas works at the image's own size). */
  generationMessage(): ToCanvas {
    const model = configuredModel(this.deps.context);
    return { type: 'generation', summary: generationSummary(readSettings(), model ? modelLabel(model.dir, model.demo) : undefined) };
  }

  async openCustomDocument(uri: vscode.Uri, context: vscode.CustomDocumentOpenContext): Promise<CanvasDocument> {
    const problem = canvasLocationProblem(uri);
    if (problem) throw new Error(problem);
    const document = await CanvasDocument.open(uri, context.backupId);
    // The document's emitter drops this listener when the document is disposed.
    document.onDidChange((e) => this.changed.fire(e));
    CanvasEditorProvider.openDocuments.set(uri.toString(), document);
    document.onDidDispose(() => CanvasEditorProvider.openDocuments.delete(uri.toString()));
    return document;
  }

  resolveCustomEditor(document: CanvasDocument, panel: vscode.WebviewPanel): void {
    panel.title = canvasTitle(document.uri.fsPath);
    showBundle(panel.webview, this.deps.context.extensionUri, 'canvas', `Atelier Canvas: ${path.basename(document.uri.fsPath)}`);
    const detach = document.attach(panel.webview);
    const listener = panel.webview.onDidReceiveMessage(async (raw: unknown) => {
      let message: FromCanvas;
      try {
        message = parseFromCanvas(raw, document.canvas.width, document.canvas.height);
      } catch (error) {
        if (!(error instanceof InvalidMessage)) throw error;
        this.deps.log.warn(`canvas: ignored an invalid message from the webview: ${error.message}`);
        return;
      }
      try {
        await this.handle(document, panel.webview, message);
      } catch (error) {
        this.deps.log.error(`canvas: ${(error as Error).message}`);
        void panel.webview.postMessage({ type: 'status', level: 'error', message: (error as Error).message } satisfies ToCanvas);
      }
    });
    panel.onDidDispose(() => {
      listener.dispose();
      detach.dispose();
    });
  }

  private async handle(document: CanvasDocument, webview: vscode.Webview, message: FromCanvas): Promise<void> {
    const model = document.canvas;
    switch (message.type) {
      case 'ready': {
        document.sendInit(webview);
        void webview.postMessage(this.generationMessage());
        const focus = CanvasEditorProvider.pendingFocus.get(document.uri.toString());
        if (focus) {
          CanvasEditorProvider.pendingFocus.delete(document.uri.toString());
          void webview.postMessage({ type: 'focusLayer', layer: focus } satisfies ToCanvas);
        }
        return;
      }
      case 'rasterEdit':
        document.record(model.paint(message.layer, message.label, message.rect, message.pixels), webview, { type: 'patch', layer: message.layer, rect: message.rect, pixels: message.pixels });
        return;
      case 'poseEdit':
        document.record(model.setPose(message.label, message.pose), webview, { type: 'pose', pose: message.pose });
        return;
      case 'edgesEdit':
        document.record(model.setEdges(message.edges), webview, { type: 'edges', edges: message.edges });
        return;
      case 'extendEdit':
        document.record(model.setExtend(message.extend), webview, { type: 'extend', extend: message.extend });
        return;
      case 'openSettings':
        await vscode.commands.executeCommand('workbench.action.openSettings', 'atelier.');
        return;
      case 'import':
        return message.what === 'pose' ? this.importPose(document) : this.importDepth(document);
      case 'exportPose':
        return this.exportPose(document);
      case 'generate':
        return generateFromCanvas(this.deps, document, webview, message.options);
      case 'upscale':
        return upscaleImageFile(this.deps, document.uri, message.scale);
      case 'detect':
        return detectFromCanvas(this.deps, document, webview, message.what);
      case 'listControlNets':
        return this.sendControlNets(webview);
    }
  }

  /** Offers the installed ControlNets to the canvas by id and folder name (listing failures only log). */
  private async sendControlNets(webview: vscode.Webview): Promise<void> {
    try {
      const installed = await installedControlNets(this.deps);
      const options = [...controlNetIds(installed)].map(([id, cn]) => ({ id, label: path.basename(cn.dir), type: cn.type }));
      void webview.postMessage({ type: 'controlNets', options } satisfies ToCanvas);
    } catch (error) {
      this.deps.log.warn(`canvas: could not list ControlNets: ${(error as Error).message}`);
    }
  }

  private async importPose(document: CanvasDocument): Promise<void> {
    const [file] = (await vscode.window.showOpenDialog({ title: 'Import OpenPose JSON', filters: { 'OpenPose JSON': ['json'] }, defaultUri: vscode.Uri.file(path.dirname(document.uri.fsPath)) })) ?? [];
    if (!file) return;
    const { width, height } = document.canvas;
    const pose = fromOpenPoseJson((await readBounded(file.fsPath, FILE_KINDS.poseJson)).toString('utf8'), { width, height });
    const scaled = resizePose(pose, width, height);
    document.record(document.canvas.setPose('Import pose', scaled), undefined, { type: 'pose', pose: scaled });
    document.broadcast({ type: 'status', level: 'info', message: `Imported ${scaled.people.length} ${scaled.people.length === 1 ? 'person' : 'people'} from ${path.basename(file.fsPath)}${pose.width !== width || pose.height !== height ? ` (scaled from ${pose.width}×${pose.height})` : ''}.` });
  }

  private async importDepth(document: CanvasDocument): Promise<void> {
    const [file] = (await vscode.window.showOpenDialog({ title: 'Import depth image', filters: { Images: [...IMAGE_EXTENSIONS] } })) ?? [];
    if (!file) return;
    const { width, height } = document.canvas;
    const { data: pixels, original } = await decodeGrayAt(await readBounded(file.fsPath, FILE_KINDS.image), path.basename(file.fsPath), { width, height });
    const rect = { x: 0, y: 0, width, height };
    document.record(document.canvas.paint('depth', 'Import depth', rect, pixels), undefined, { type: 'patch', layer: 'depth', rect, pixels });
    if (original.width !== width || original.height !== height) {
      document.broadcast({ type: 'status', level: 'warning', message: `The depth image was ${original.width}×${original.height}; it was resized to ${width}×${height}.` });
    }
  }

  private async exportPose(document: CanvasDocument): Promise<void> {
    const stem = path.basename(document.uri.fsPath, path.extname(document.uri.fsPath));
    const target = await vscode.window.showSaveDialog({ title: 'Export OpenPose JSON', defaultUri: vscode.Uri.file(path.join(path.dirname(document.uri.fsPath), `${stem}.openpose.json`)), filters: { 'OpenPose JSON': ['json'] } });
    // The save dialog already asked before replacing an existing file.
    if (target) await writeFile(target.fsPath, toOpenPoseJson(document.canvas.pose));
  }

  async saveCustomDocument(document: CanvasDocument): Promise<void> {
    const written = await document.save();
    this.deps.log.info(`canvas: saved ${written.length} layer file(s) for ${document.uri.fsPath}`);
  }

  async saveCustomDocumentAs(document: CanvasDocument, destination: vscode.Uri): Promise<void> {
    const problem = canvasLocationProblem(destination);
    if (problem) throw new Error(problem);
    await document.saveAs(destination);
  }

  revertCustomDocument(document: CanvasDocument): Promise<void> {
    return document.revert();
  }

  backupCustomDocument(document: CanvasDocument, context: vscode.CustomDocumentBackupContext): Promise<vscode.CustomDocumentBackup> {
    return document.backup(context.destination);
  }
}
