/** Restricted Mode: models inside an untrusted workspace are never loaded. */
import path from 'node:path';
import * as vscode from 'vscode';

export function modelTrustProblem(modelDir: string): string | undefined {
  if (vscode.workspace.isTrusted) return undefined;
  const inside = (vscode.workspace.workspaceFolders ?? []).some((f) => {
    const rel = path.relative(f.uri.fsPath, modelDir);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  });
  return inside
    ? 'Atelier: this workspace is in Restricted Mode, so Atelier does not load models from inside it. Trust the workspace, or keep the model outside it.'
    : undefined;
}
