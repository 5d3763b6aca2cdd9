/**
 * The ComfyUI commands: the token (kept in SecretStorage, one per server, sent only to it) and the
 * checkpoint jobs run with (the server's own list, as CheckpointLoaderSimple offers it).
 */
import * as vscode from 'vscode';
import { tokenKey } from '../../host/backend/backendSetting';
import { checkToken } from '../../host/comfyui/connection';
import type { Backend } from '../../host/backend/backend';
import type { BackendSelection } from './backendSelection';

export async function setComfyToken(context: vscode.ExtensionContext, selection: BackendSelection): Promise<boolean> {
  const server = selection.serverUrl();
  if ('problem' in server) {
    void vscode.window.showWarningMessage(`Atelier: ${server.problem}`);
    return false;
  }
  const token = await vscode.window.showInputBox({
    title: `ComfyUI token for ${server.url}`,
    prompt: 'The bearer token of ComfyUI-Login or of the proxy in front of the server. Stored in the editor\'s secret storage and sent only to this server.',
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => {
      try {
        checkToken(value.trim());
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
  if (token === undefined || token.trim() === '') return false;
  await context.secrets.store(tokenKey(server.url), token.trim());
  void vscode.window.showInformationMessage(`Atelier: the ComfyUI token for ${server.url} is stored.`);
  return true;
}

export async function clearComfyToken(context: vscode.ExtensionContext, selection: BackendSelection): Promise<void> {
  const server = selection.serverUrl();
  if ('problem' in server) {
    void vscode.window.showWarningMessage(`Atelier: ${server.problem}`);
    return;
  }
  await context.secrets.delete(tokenKey(server.url));
  void vscode.window.showInformationMessage(`Atelier: the ComfyUI token for ${server.url} is cleared.`);
}

/** The configured checkpoint (user or workspace value: it only names a file on the user's server). */
export function configuredCheckpoint(): string {
  return vscode.workspace.getConfiguration('atelier').get<string>('comfyui.checkpoint', '').trim();
}

export async function setCheckpoint(name: string): Promise<void> {
  await vscode.workspace.getConfiguration('atelier').update('comfyui.checkpoint', name, vscode.ConfigurationTarget.Global);
}

/**
 * The checkpoint a ComfyUI job runs with: the configured one when the server lists it, else the
 * user's pick from the server's list (stored for next time). Errors (server down) go to `refuse`.
 */
export async function comfyCheckpoint(backend: Backend, refuse: (problem: string) => void, ask = true): Promise<string | undefined> {
  let names: string[];
  try {
    names = (await backend.listModels()).map((m) => m.id);
  } catch (error) {
    refuse((error as Error).message);
    return undefined;
  }
  const configured = configuredCheckpoint();
  if (configured !== '' && names.includes(configured)) return configured;
  if (names.length === 0) {
    refuse('the ComfyUI server lists no checkpoints: put one in its models/checkpoints folder');
    return undefined;
  }
  if (!ask) return undefined;
  const picked = await vscode.window.showQuickPick(
    names.map((label) => ({ label })),
    { title: configured ? `The ComfyUI server has no checkpoint "${configured}": pick one` : 'Pick the ComfyUI checkpoint to generate with', placeHolder: 'Checkpoints as the server lists them', ignoreFocusOut: true },
  );
  if (!picked) return undefined;
  await setCheckpoint(picked.label);
  return picked.label;
}

/** "Atelier: Choose ComfyUI Checkpoint": always asks, from the server's list. */
export async function chooseCheckpoint(backend: Backend): Promise<string | undefined> {
  if (backend.capabilities().backend !== 'comfyui') {
    void vscode.window.showInformationMessage('Atelier runs jobs locally: set atelier.backend to "comfyui" (and atelier.comfyui.url) to pick a server checkpoint.');
    return undefined;
  }
  let names: string[];
  try {
    names = (await backend.listModels()).map((m) => m.id);
  } catch (error) {
    void vscode.window.showErrorMessage(`Atelier: ${(error as Error).message}`);
    return undefined;
  }
  const current = configuredCheckpoint();
  const picked = await vscode.window.showQuickPick(names.map((label) => ({ label, description: label === current ? 'current' : undefined })), { title: 'Pick the ComfyUI checkpoint to generate with', ignoreFocusOut: true });
  if (!picked) return undefined;
  await setCheckpoint(picked.label);
  return picked.label;
}
