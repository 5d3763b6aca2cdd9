/** The Language Model Tools for coding agents (issue 17); each is also contributed in package.json. */
import * as vscode from 'vscode';
import type { GenerateDeps } from '../generation/deps';
import { generateImageTool } from './generateImageTool';
import { editImageTool, upscaleImageTool } from './imageTools';
import { listModelsTool } from './listModelsTool';

export function registerAgentTools(deps: GenerateDeps): vscode.Disposable[] {
  // Older hosts (and some forks) have no language model API: the commands still work.
  if (typeof vscode.lm?.registerTool !== 'function') return [];
  return [
    vscode.lm.registerTool('atelier_generateImage', generateImageTool(deps)),
    vscode.lm.registerTool('atelier_editImage', editImageTool(deps)),
    vscode.lm.registerTool('atelier_upscaleImage', upscaleImageTool(deps)),
    vscode.lm.registerTool('atelier_listModels', listModelsTool(deps)),
  ];
}
