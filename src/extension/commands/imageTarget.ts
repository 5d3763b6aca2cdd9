/** Which image a command on images acts on: the clicked file, else the active editor's. */
import * as vscode from 'vscode';
import { IMAGE_EXTENSIONS, READABLE_FORMATS } from '../../shared/images/imageInput';

const IMAGE = new RegExp(`\\.(${IMAGE_EXTENSIONS.join('|')})$`, 'i');

function activeResource(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) return input.uri;
  return undefined;
}

/** The image a context-menu command acts on (the clicked file, else the active editor's), or a warning. */
export function imageTarget(target: vscode.Uri | undefined, action: string): vscode.Uri | undefined {
  const uri = target instanceof vscode.Uri ? target : activeResource();
  if (!uri || !IMAGE.test(uri.path) || uri.scheme !== 'file') {
    void vscode.window.showWarningMessage(`Atelier: ${action} works on image files (${READABLE_FORMATS}); pick one in the Explorer or open it first.`);
    return undefined;
  }
  return uri;
}
