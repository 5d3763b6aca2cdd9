/** "Open in Canvas" (explorer, editor and palette) and "New Blank Canvas…". */
import path from 'node:path';
import * as vscode from 'vscode';
import type { CanvasLayer } from '../../shared/protocol/canvas';
import { CANVAS_VIEW_TYPE, CanvasEditorProvider, canvasLocationProblem } from './canvasEditorProvider';
import { isLayerFile } from '../../host/canvas/layerFiles';
import { encodePng } from '../../host/images/imageCodec';
import { decideOutputFolder } from '../../host/output/outputFolder';
import { saveNewFile } from '../../host/output/saveImage';
import { readSettings } from '../config/settings';
import { imageTarget } from '../commands/imageTarget';

/** Why the canvas cannot edit this image (a layer file, outside the workspace), if it cannot. */
function canvasTargetProblem(uri: vscode.Uri): string | undefined {
  if (isLayerFile(uri.fsPath)) return `${path.basename(uri.fsPath)} is a layer file of another image; open that image in the canvas to edit its layers.`;
  return canvasLocationProblem(uri);
}

/** Opens the image in the canvas; with `layer`, that layer is selected ("Inpaint…" opens on the mask). */
export async function openInCanvas(target?: vscode.Uri, options: { readonly action: string; readonly layer?: CanvasLayer } = { action: 'Open in Canvas' }): Promise<void> {
  const uri = imageTarget(target, options.action);
  if (!uri) return;
  const problem = canvasTargetProblem(uri);
  if (problem) {
    void vscode.window.showWarningMessage(`Atelier: ${problem}`);
    return;
  }
  if (options.layer) await CanvasEditorProvider.openOnLayer(uri, options.layer);
  else await vscode.commands.executeCommand('vscode.openWith', uri, CANVAS_VIEW_TYPE);
}

const BLANK_SIZES = ['512×512', '768×768', '512×768', '768×512', '1024×1024'];

export async function newBlankCanvas(): Promise<void> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  if (folders.length === 0) {
    void vscode.window.showWarningMessage('Atelier: open a folder first; the canvas saves its image and layers inside the workspace.');
    return;
  }
  const size = await vscode.window.showQuickPick([...BLANK_SIZES, 'Custom…'], { title: 'New blank canvas: size' });
  if (!size) return;
  let text = size;
  if (size === 'Custom…') {
    const typed = await vscode.window.showInputBox({
      title: 'New blank canvas: size',
      prompt: 'Width × height in pixels, multiples of 8',
      value: '640×480',
      validateInput: (v) => {
        const m = /^(\d+)\s*[x×]\s*(\d+)$/.exec(v.trim());
        if (!m) return 'Write it as WIDTH×HEIGHT, e.g. 640×480';
        const [w, h] = [Number(m[1]), Number(m[2])];
        if (w % 8 || h % 8) return `Both sides must be multiples of 8, got ${w}×${h} (try ${w - (w % 8) || 8}×${h - (h % 8) || 8})`;
        if (w < 64 || h < 64 || w * h > 4096 * 4096) return `Between 64×64 and 16.7 Mpx, got ${w}×${h}`;
        return undefined;
      },
    });
    if (!typed) return;
    text = typed;
  }
  const [, w, h] = /^(\d+)\s*[x×]\s*(\d+)$/.exec(text.trim()) ?? [];
  const width = Number(w);
  const height = Number(h);
  const decision = decideOutputFolder({ setting: readSettings().outputFolder, workspaceFolders: folders, activeFile: undefined });
  const dir = decision.kind === 'folder' ? decision.dir : folders[0];
  const png = await encodePng(new Uint8Array(width * height * 3).fill(255), { width, height }, 3);
  const file = await saveNewFile(dir, 'canvas', '.png', png);
  await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), CANVAS_VIEW_TYPE);
}
