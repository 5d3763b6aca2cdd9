/** atelier_listModels: the configured model and the Hugging Face cache's models (read-only, no confirmation). */
import type * as vscode from 'vscode';
import { modelListText } from '../../host/agents/toolText';
import { listCachedModels } from '../../host/models/cachedModels';
import { hubEnvironment } from '../../host/models/hubEnvironment';
import { configuredModel } from '../config/settings';
import type { GenerateDeps } from '../generation/deps';
import { asToolResult } from './toolRun';

export function listModelsTool(deps: GenerateDeps): vscode.LanguageModelTool<unknown> {
  return {
    prepareInvocation: () => ({ invocationMessage: 'Listing Atelier models…' }),
    invoke: () =>
      asToolResult(deps, 'atelier_listModels', [], async () => {
        const configured = configuredModel(deps.context);
        const cached = await listCachedModels(hubEnvironment().cacheRoot);
        return modelListText({ ...(configured ? { configured: { dir: configured.dir, demo: configured.demo } } : {}), cached });
      }),
  };
}
