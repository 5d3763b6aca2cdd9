/** atelier_generateImage: a new image at a workspace path from a prompt, after the user confirms. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { parseGenerateImageInput, TOOL_FIELDS } from '../../host/agents/toolInput';
import { shownPath, workspacePath } from '../../host/agents/toolPaths';
import { writtenText } from '../../host/agents/toolText';
import { buildJob } from '../../host/jobs/buildJob';
import { targetOfFile } from '../../host/output/outputTarget';
import { jobSettings, readSettings } from '../config/settings';
import { generateAndSaveWithRecipe } from '../generation/generateAndSave';
import type { GenerateDeps } from '../generation/deps';
import { asToolResult, confirmWrite, runWithProgress, toolModel, workspaceFolders } from './toolRun';

const NAME = 'atelier_generateImage' as const;
const FIELDS = TOOL_FIELDS[NAME];

/** Words for an output file about to be written: a taken name is kept and the new one numbered. */
export function targetLine(file: string, folders: readonly string[]): string {
  const shown = shownPath(file, folders);
  return existsSync(file) ? `\`${shown}\` already exists and is kept; the new image gets the next free name (\`${path.basename(file, path.extname(file))}-1${path.extname(file)}\`, …).` : `It writes the new file \`${shown}\`.`;
}

export function generateImageTool(deps: GenerateDeps): vscode.LanguageModelTool<unknown> {
  return {
    async prepareInvocation(options) {
      try {
        const input = parseGenerateImageInput(options.input);
        const folders = workspaceFolders();
        const file = await workspacePath(input.path, 'path', folders, 'output');
        const settings = readSettings();
        return confirmWrite('Generate an image with Atelier?', [`Atelier generates a ${input.width ?? settings.width}×${input.height ?? settings.height} image of: *${input.prompt.replace(/[*_`[\]]/g, '\\$&')}*`, targetLine(file, folders)]);
      } catch {
        // invoke() returns the problem to the agent; nothing is written, so nothing to confirm.
        return { invocationMessage: 'Checking the image request…' };
      }
    },
    invoke(options, token) {
      return asToolResult(deps, NAME, FIELDS, async () => {
        const input = parseGenerateImageInput(options.input);
        const folders = workspaceFolders();
        const file = await workspacePath(input.path, 'path', folders, 'output');
        const model = await toolModel(deps);
        if ('problem' in model) return `${NAME} was not run: ${model.problem}`;
        const settings = jobSettings(readSettings());
        const job = buildJob({
          modelDir: model.dir,
          prompt: input.prompt,
          settings: { ...settings, ...(input.width === undefined ? {} : { width: input.width }), ...(input.height === undefined ? {} : { height: input.height }), ...(input.seed === undefined ? {} : { seed: input.seed }), ...(input.negativePrompt === undefined ? {} : { negativePrompt: input.negativePrompt }) },
          source: { kind: 'txt2img' },
          output: targetOfFile(file),
        });
        const { image: saved, recipe } = await runWithProgress(token, (signal, onEvent) => generateAndSaveWithRecipe(deps, job, { signal, onEvent }));
        const request = job.request;
        const size = request.kind === 'txt2img' ? request : { width: settings.width, height: settings.height };
        return writtenText('Generated', { saved, requested: file, width: size.width, height: size.height, seed: request.sampling.seed, model: path.basename(model.dir), recipe }, folders);
      });
    },
  };
}
