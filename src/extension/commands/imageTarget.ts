/** Which image a command on images acts on: the clicked file, else the active editor's. */
import * as vscode from 'vscode';

const IMAGE = /\.(png|jpe?g|webp)$/i;

function activeResource(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) return input.uri;
  return undefined;
}

/** The image a context-menu command acts on (the clicked file, else the active editor's), or a warning. */
export function imageTarget(target: vscode.Uri | undefined, action: string): vscode.Uri | undefined {
  const uri = target instanceof vscode.Uri ? target : activeResource();
  if (!uri || !IMAGE.test(uri.path) || uri.scheme !== 'file') {
    void vscode.window.showWarningMessage(`Atelier: ${action} works on a PNG, JPEG or WebP image file; pick one in the Explorer or open it first.`);
    return undefined;
  }
  return uri;
}
