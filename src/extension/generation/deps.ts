/** What the commands, the side panel and the canvas need from the activated extension. */
import type * as vscode from 'vscode';
import type { Backend } from '../../host/backend/backend';
import type { PipelineClient } from '../../host/worker/pipelineClient';

export interface GenerateDeps {
  readonly context: vscode.ExtensionContext;
  /** Generation and upscaling go through the backend; the worker itself only for what is local by nature (detectors, tokens, model checks). */
  readonly backend: () => Backend;
  readonly client: () => PipelineClient;
  readonly log: vscode.LogOutputChannel;
}
