/**
 * The canvas as a VS Code custom document: one per image however many editors show it. It owns the
 * model, turns each validated webview edit into an undoable VS Code edit, keeps every open view in
 * step, and saves, reverts and backs up through VS Code's document model.
 */
import { copyFile, readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { CANVAS_PROTOCOL_VERSION, type ToCanvas } from '../../shared/protocol/canvas';
import { decodeBackup, encodeBackup } from '../../host/canvas/canvasBackup';
import type { CanvasEdit, CanvasModel } from '../../host/canvas/canvasModel';
import { loadCanvas, saveCanvasLayers } from '../../host/canvas/layerFiles';

export class CanvasDocument implements vscode.CustomDocument {
  private readonly views = new Set<vscode.Webview>();
  private readonly changed = new vscode.EventEmitter<vscode.CustomDocumentEditEvent<CanvasDocument>>();
  /** VS Code listens here to learn of edits (dirty state, undo stack). */
  readonly onDidChange = this.changed.event;

  private constructor(
    readonly uri: vscode.Uri,
    private model: CanvasModel,
    private notices: readonly string[],
  ) {}

  static async open(uri: vscode.Uri, backupId: string | undefined): Promise<CanvasDocument> {
    const { model, notices } = await loadCanvas(uri.fsPath);
    if (backupId) decodeBackup(await readFile(vscode.Uri.parse(backupId).fsPath), model);
    return new CanvasDocument(uri, model, notices);
  }

  get canvas(): CanvasModel {
    return this.model;
  }

  /** Registers a view; returns a disposable that forgets it. */
  attach(webview: vscode.Webview): vscode.Disposable {
    this.views.add(webview);
    return new vscode.Disposable(() => this.views.delete(webview));
  }

  /** Sends the whole document to one view (after its `ready`). */
  sendInit(webview: vscode.Webview): void {
    const name = this.uri.path.split('/').pop() ?? 'image';
    void webview.postMessage({ type: 'init', v: CANVAS_PROTOCOL_VERSION, fileName: name, ...this.model.snapshot() } satisfies ToCanvas);
    for (const message of this.notices) void webview.postMessage({ type: 'status', level: 'warning', message } satisfies ToCanvas);
  }

  broadcast(message: ToCanvas, except?: vscode.Webview): void {
    for (const view of this.views) if (view !== except) void view.postMessage(message);
  }

  /** Records an edit already shown in `origin`, and brings the other views along. */
  record(edit: CanvasEdit | undefined, origin: vscode.Webview | undefined, echo: ToCanvas): void {
    if (!edit) return;
    this.broadcast(echo, origin);
    this.changed.fire({
      document: this,
      label: edit.label,
      undo: () => this.broadcast(this.model.apply(edit, 'undo')),
      redo: () => this.broadcast(this.model.apply(edit, 'redo')),
    });
  }

  async save(): Promise<string[]> {
    return saveCanvasLayers(this.uri.fsPath, this.model);
  }

  /** Save As: the image is copied to the new place and its layers are written beside the copy. */
  async saveAs(target: vscode.Uri): Promise<string[]> {
    if (target.fsPath !== this.uri.fsPath) await copyFile(this.uri.fsPath, target.fsPath);
    return saveCanvasLayers(target.fsPath, this.model);
  }

  async revert(): Promise<void> {
    const { model, notices } = await loadCanvas(this.uri.fsPath);
    this.model = model;
    this.notices = notices;
    for (const view of this.views) this.sendInit(view);
  }

  async backup(destination: vscode.Uri): Promise<vscode.CustomDocumentBackup> {
    await vscode.workspace.fs.writeFile(destination, encodeBackup(this.model));
    return { id: destination.toString(), delete: () => void vscode.workspace.fs.delete(destination).then(undefined, () => undefined) };
  }

  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposed.event;

  dispose(): void {
    this.disposed.fire();
    this.disposed.dispose();
    this.changed.dispose();
    this.views.clear();
  }
}
