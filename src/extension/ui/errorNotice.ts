/** Shows one clear notification per failure, with actions, and logs the details. */
import * as vscode from 'vscode';
import { toErrorInfo } from '../../shared/errors';
import { describeForUser, type ErrorAction } from '../errors/userMessage';

const ACTION_LABELS: Record<ErrorAction, string> = {
  chooseModel: 'Choose Model Folder…',
  howToGetModel: 'How to get a model',
  showLog: 'Show Log',
  restartWorker: 'Restart Worker',
  openSettings: 'Open Settings',
  setHubToken: 'Set Hugging Face Token…',
};

const ACTION_COMMANDS: Record<ErrorAction, string> = {
  chooseModel: 'atelier.chooseModelFolder',
  howToGetModel: 'atelier.howToGetModel',
  showLog: 'atelier.showLog',
  restartWorker: 'atelier.restartWorker',
  openSettings: 'workbench.action.openSettings',
  setHubToken: 'atelier.setHubToken',
};

export async function showPipelineError(error: unknown, log: vscode.LogOutputChannel): Promise<void> {
  const info = toErrorInfo(error);
  if (info.code === 'CANCELLED') {
    log.info('cancelled; nothing was saved');
    return;
  }
  log.error(`${info.code}: ${info.message}${info.detail ? `\n${info.detail}` : ''}`);
  const { message, actions } = describeForUser(info);
  const choice = await vscode.window.showErrorMessage(`Atelier: ${message}`, ...actions.map((a) => ACTION_LABELS[a]));
  const action = actions.find((a) => ACTION_LABELS[a] === choice);
  if (action === 'openSettings') await vscode.commands.executeCommand(ACTION_COMMANDS[action], 'atelier');
  else if (action) await vscode.commands.executeCommand(ACTION_COMMANDS[action]);
}
