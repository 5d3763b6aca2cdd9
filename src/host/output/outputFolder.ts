/** Where a generated image goes (pure: the VS Code layer supplies the facts). */
import path from 'node:path';

export interface OutputFacts {
  /** atelier.outputFolder: absolute, or relative to the first workspace folder; '' for the default. */
  readonly setting: string;
  readonly workspaceFolders: readonly string[];
  /** File path of the active editor, if it is a file. */
  readonly activeFile?: string;
}

export type OutputDecision =
  | { readonly kind: 'folder'; readonly dir: string }
  /** No workspace and no absolute setting: ask with a save dialog. */
  | { readonly kind: 'ask' };

export const DEFAULT_OUTPUT_SUBFOLDER = path.join('assets', 'generated');

function inside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

export function decideOutputFolder(facts: OutputFacts): OutputDecision {
  const setting = facts.setting.trim();
  if (setting !== '') {
    if (path.isAbsolute(setting)) return { kind: 'folder', dir: path.normalize(setting) };
    if (facts.workspaceFolders.length > 0) return { kind: 'folder', dir: path.join(facts.workspaceFolders[0], setting) };
    return { kind: 'ask' };
  }
  if (facts.activeFile && facts.workspaceFolders.some((root) => inside(root, facts.activeFile ?? ''))) {
    return { kind: 'folder', dir: path.dirname(facts.activeFile) };
  }
  if (facts.workspaceFolders.length > 0) return { kind: 'folder', dir: path.join(facts.workspaceFolders[0], DEFAULT_OUTPUT_SUBFOLDER) };
  return { kind: 'ask' };
}
