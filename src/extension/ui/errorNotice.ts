/** Shows one clear notification per failure, with actions, and logs the details. */
import * as vscode from 'vscode';
import { toErrorInfo } from '../../shared/errors';
import type { PipelineErrorInfo } from '../../shared/errors';
import { controlTypeName, describeForUser, type ErrorAction } from '../../host/errors/userMessage';

function actionLabel(action: ErrorAction, info: PipelineErrorInfo): string {
  switch (action) {
    case 'chooseModel':
      return 'Choose Model Folder…';
    case 'howToGetModel':
      return 'How to get a model';
    case 'showLog':
      return 'Show Log';
    case 'restartWorker':
      return 'Restart Worker';
    case 'openSettings':
      return 'Open Settings';
    case 'setHubToken':
      return 'Set Hugging Face Token…';
    case 'getControlNet':
      return `Get ${controlTypeName(info.argument)} ControlNet…`;
    case 'getControlNetBase':
      return 'Get a Model with a ControlNet UNet…';
    case 'setComfyToken':
      return 'Set ComfyUI Token…';
  }
}

const ACTION_COMMANDS: Record<ErrorAction, string> = {
  chooseModel: 'atelier.chooseModelFolder',
  howToGetModel: 'atelier.howToGetModel',
  showLog: 'atelier.showLog',
  restartWorker: 'atelier.restartWorker',
  openSettings: 'workbench.action.openSettings',
  setHubToken: 'atelier.setHubToken',
  getControlNet: 'atelier.getControlNet',
  getControlNetBase: 'atelier.getControlNetBase',
  setComfyToken: 'atelier.setComfyToken',
};

export async function showPipelineError(error: unknown, log: vscode.LogOutputChannel): Promise<void> {
  const info = toErrorInfo(error);
  if (info.code === 'CANCELLED') {
    log.info('cancelled; nothing was saved');
    return;
  }
  log.error(`${info.code}: ${info.message}${info.detail ? `\n${info.detail}` : ''}`);
  const { message, actions } = describeForUser(info);
  const choice = await vscode.window.showErrorMessage(`Atelier: ${message}`, ...actions.map((a) => actionLabel(a, info)));
  const action = actions.find((a) => actionLabel(a, info) === choice);
  if (action === 'openSettings') await vscode.commands.executeCommand(ACTION_COMMANDS[action], 'atelier');
  else if (action === 'getControlNet') await vscode.commands.executeCommand(ACTION_COMMANDS[action], info.argument);
  else if (action) await vscode.commands.executeCommand(ACTION_COMMANDS[action]);
}
