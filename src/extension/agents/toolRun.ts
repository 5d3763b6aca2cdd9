/**
 * What every Atelier tool shares: the workspace folders, the trusted model, a job run under a
 * cancellable progress notification that the chat's own cancellation also aborts, and results and
 * errors returned as text for the model (never thrown).
 */
import * as vscode from 'vscode';
import { toolErrorText } from '../../host/agents/toolErrors';
import type { PipelineEvent } from '../../host/worker/pipelineClient';
import { trustedModel } from '../commands/askForModel';
import { withJobProgress } from '../generation/generateWithProgress';
import type { GenerateDeps } from '../generation/deps';

export function workspaceFolders(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

export function textResult(text: string): vscode.LanguageModelToolResult {
  return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(text)]);
}

/** The model a tool runs with, or the reason (Restricted Mode, or no model chosen) as text for the agent. */
export async function toolModel(deps: GenerateDeps): Promise<{ dir: string } | { problem: string }> {
  let refused: string | undefined;
  const dir = await trustedModel(deps, (problem) => (refused = problem));
  if (dir) return { dir };
  return { problem: refused ?? 'Atelier has no model yet and the user did not choose one. Ask the user to run "Atelier: Manage Models" or "Atelier: Use the Built-in Demo Model", then try again.' };
}

/** Runs a job under the progress notification; the chat's cancellation and the notification's Cancel both abort it. */
export function runWithProgress<T>(token: vscode.CancellationToken, job: (signal: AbortSignal, onEvent: (event: PipelineEvent) => void) => Promise<T>): Thenable<T> {
  return withJobProgress((signal, onEvent) => {
    const chat = new AbortController();
    const listener = token.onCancellationRequested(() => chat.abort());
    if (token.isCancellationRequested) chat.abort();
    return job(AbortSignal.any([signal, chat.signal]), onEvent).finally(() => listener.dispose());
  });
}

/** Runs a tool body; anything thrown becomes text for the model (and the log). */
export async function asToolResult(deps: GenerateDeps, tool: string, inputFields: readonly string[], body: () => Promise<string>): Promise<vscode.LanguageModelToolResult> {
  try {
    return textResult(await body());
  } catch (error) {
    const text = toolErrorText(tool, error, inputFields);
    deps.log.warn(`${tool}: ${text}`);
    return textResult(text);
  }
}

/** The confirmation shown before a tool writes a file. */
export function confirmWrite(title: string, lines: readonly string[]): vscode.PreparedToolInvocation {
  return { invocationMessage: title.replace(/\?$/, '…'), confirmationMessages: { title, message: new vscode.MarkdownString(lines.join('\n\n')) } };
}
