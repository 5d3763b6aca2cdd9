/**
 * The recipe beside an image the extension saved (atelier.writeRecipes, on by default): only for images
 * inside a workspace folder, whose inputs are files there. A recipe that cannot be written is logged,
 * never an error: the image is what the user asked for.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { GenerationJob } from '../../host/jobs/job';
import type { GenerationResult } from '../../shared/request';
import { hubEnvironment } from '../../host/models/hubEnvironment';
import { NoRecipeError, recipeFromJob, recipeModelFor, writeRecipeBeside } from '../../host/recipes/recipeFromJob';
import { demoModelDir, readSettings } from '../config/settings';

export async function saveRecipeFor(job: GenerationJob, image: string, backend: 'local' | 'comfyui', context: vscode.ExtensionContext | undefined, log: vscode.LogOutputChannel, modelDefaults?: GenerationResult['modelDefaults']): Promise<string | undefined> {
  if (!readSettings().writeRecipes) return undefined;
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(image));
  if (!folder) {
    log.info(`no recipe for ${image}: it is outside the workspace folders`);
    return undefined;
  }
  const root = folder.uri.fsPath;
  try {
    const model = recipeModelFor(job.request.modelDir, { root, demoDir: context && demoModelDir(context.extensionPath), cacheRoot: hubEnvironment().cacheRoot, backend });
    const recipe = await recipeFromJob(job, image, { root, backend, model, ...(modelDefaults ? { modelDefaults } : {}) });
    const file = await writeRecipeBeside(image, recipe);
    log.info(`recipe ${path.relative(root, file)}`);
    return file;
  } catch (error) {
    log.info(`no recipe for ${path.basename(image)}: ${error instanceof NoRecipeError ? error.message : (error as Error).message}`);
    return undefined;
  }
}
