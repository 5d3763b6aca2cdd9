/**
 * Missing images: a diagnostic on each workspace-relative image reference (Markdown, HTML/JSX/Vue/Svelte,
 * CSS) whose file does not exist, and a quick fix "Generate image for hero.png" that generates it at that
 * path with a prompt and size taken from the reference.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { findImageReferences, REFERENCE_LANGUAGES, syntaxOfLanguage } from '../../host/references/imageReferences';
import { missingFile, suggestedPrompt, suggestedSize } from '../../host/references/missingImage';

export const MISSING_IMAGE_CODE = 'atelier.missingImage';
export const GENERATE_MISSING_COMMAND = 'atelier.generateMissingImage';

/** What the quick fix hands to the generate command. */
export interface MissingImageArgs {
  readonly file: string;
  readonly prompt: string;
  readonly width?: number;
  readonly height?: number;
}

interface Missing {
  readonly range: vscode.Range;
  readonly args: MissingImageArgs;
}

function missingIn(document: vscode.TextDocument): Missing[] {
  const syntax = syntaxOfLanguage(document.languageId);
  const folder = vscode.workspace.getWorkspaceFolder(document.uri);
  if (!syntax || !folder || document.uri.scheme !== 'file' || folder.uri.scheme !== 'file') return [];
  const text = document.getText();
  const context = { documentDir: path.dirname(document.uri.fsPath), workspaceRoot: folder.uri.fsPath, exists: existsSync };
  const found: Missing[] = [];
  for (const ref of findImageReferences(text, syntax)) {
    const file = missingFile(ref, context);
    if (!file) continue;
    const size = suggestedSize(ref);
    found.push({ range: new vscode.Range(document.positionAt(ref.start), document.positionAt(ref.end)), args: { file, prompt: suggestedPrompt(ref, text, syntax), ...size } });
  }
  return found;
}

class MissingImageActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection): vscode.CodeAction[] {
    return missingIn(document)
      .filter((m) => m.range.intersection(range) !== undefined)
      .map((m) => {
        const name = path.basename(m.args.file);
        const action = new vscode.CodeAction(`Generate image for ${name} with Atelier`, vscode.CodeActionKind.QuickFix);
        action.command = { command: GENERATE_MISSING_COMMAND, title: action.title, arguments: [m.args] };
        action.isPreferred = true;
        return action;
      });
  }
}

/** Registers the diagnostics (kept current as documents and image files change) and the quick fix. */
export function registerMissingImages(context: vscode.ExtensionContext): void {
  const diagnostics = vscode.languages.createDiagnosticCollection('atelier-missing-images');
  const refresh = (document: vscode.TextDocument): void => {
    if (!syntaxOfLanguage(document.languageId)) return;
    diagnostics.set(
      document.uri,
      missingIn(document).map((m) => {
        const d = new vscode.Diagnostic(m.range, `${path.basename(m.args.file)} does not exist; Atelier can generate it (quick fix)`, vscode.DiagnosticSeverity.Information);
        d.source = 'Atelier';
        d.code = MISSING_IMAGE_CODE;
        return d;
      }),
    );
  };
  const timers = new Map<string, NodeJS.Timeout>();
  const refreshSoon = (document: vscode.TextDocument): void => {
    const key = document.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => { timers.delete(key); refresh(document); }, 300));
  };
  const refreshAll = (): void => vscode.workspace.textDocuments.forEach(refresh);
  const images = vscode.workspace.createFileSystemWatcher('**/*.{png,jpg,jpeg,webp}', false, true, false);
  context.subscriptions.push(
    diagnostics,
    images,
    images.onDidCreate(refreshAll),
    images.onDidDelete(refreshAll),
    vscode.languages.registerCodeActionsProvider(REFERENCE_LANGUAGES.map((language) => ({ language, scheme: 'file' })), new MissingImageActions(), { providedCodeActionKinds: MissingImageActions.kinds }),
    vscode.workspace.onDidOpenTextDocument(refresh),
    vscode.workspace.onDidChangeTextDocument((e) => refreshSoon(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => diagnostics.delete(d.uri)),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
  refreshAll();
}

/** Checks the command's argument (it can come from anywhere that runs commands). */
export function parseMissingImageArgs(value: unknown): MissingImageArgs | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.file !== 'string' || typeof v.prompt !== 'string') return undefined;
  const size = (n: unknown): number | undefined => (typeof n === 'number' && Number.isInteger(n) ? n : undefined);
  const width = size(v.width);
  const height = size(v.height);
  return { file: v.file, prompt: v.prompt, ...(width !== undefined && height !== undefined ? { width, height } : {}) };
}
