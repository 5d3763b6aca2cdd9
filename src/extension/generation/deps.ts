/** What the commands, the side panel and the canvas need from the activated extension. */
import type * as vscode from 'vscode';
import type { PipelineClient } from '../../host/worker/pipelineClient';

export interface GenerateDeps {
  readonly context: vscode.ExtensionContext;
  readonly client: () => PipelineClient;
  readonly log: vscode.LogOutputChannel;
}
