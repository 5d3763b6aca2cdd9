/**
 * The one question asked when no model is set, wherever the user generates (palette, side panel,
 * canvas, context menus): a quick pick, so every choice is readable in full (a notification cuts its
 * buttons to "Download Stable Diffusi…", "Choose …", "Use D…").
 */
import * as vscode from 'vscode';
import { configuredModel } from '../config/settings';
import { loadCatalogue, recommendedModel, type CatalogueEntry } from '../../host/models/catalogue';
import { thisMachineProviders } from '../../host/models/machine';
import { formatBytes } from '../../host/models/units';
import type { GenerateDeps } from '../generation/deps';
import { catalogueFile, offerCatalogueModel } from './manageModels';
import { modelTrustProblem } from './trust';
import { comfyCheckpoint } from '../backend/comfyCommands';

export const FIRST_RUN_TITLE = 'Atelier needs a Stable Diffusion model to generate images';

type Choice = 'download' | 'choose' | 'checkpoint' | 'demo' | 'help';

interface ChoiceItem extends vscode.QuickPickItem {
  readonly choice: Choice;
}

/** A GPU execution provider this machine can use (checked without loading onnxruntime). */
export function machineHasGpu(extensionPath: string): boolean {
  return thisMachineProviders(extensionPath).some((p) => p !== 'cpu');
}

export function firstRunChoices(recommended: CatalogueEntry | undefined): ChoiceItem[] {
  return [
    ...(recommended
      ? [{ choice: 'download' as const, label: `$(cloud-download) Download ${recommended.name}`, description: `about ${formatBytes(recommended.sizeBytes)} · ${recommended.licence}`, detail: `From Hugging Face (${recommended.repo}); you confirm before anything downloads.` }]
      : []),
    { choice: 'choose', label: '$(folder-opened) Choose Model Folder…', detail: 'A Stable Diffusion ONNX export you already have (the folder with model_index.json).' },
    { choice: 'checkpoint', label: '$(file-binary) Choose .safetensors Checkpoint…', detail: 'An SD 1.x, 2.x or SDXL checkpoint (A1111/civitai single file); Atelier converts it to ONNX once and caches it.' },
    { choice: 'demo', label: '$(beaker) Use the Built-in Demo Model', detail: 'An analytic test model that paints prompt-dependent gradients: tries Atelier out, but it is not a trained model.' },
    { choice: 'help', label: '$(book) How to Get a Model', detail: 'The README section on downloading, exporting and choosing models.' },
  ];
}

/** The configured model's folder; when none is set, asks (and returns undefined if the user declines). */
export async function resolveModel(deps: GenerateDeps): Promise<string | undefined> {
  const configured = configuredModel(deps.context);
  if (configured) return configured.dir;
  const recommended = recommendedModel(loadCatalogue(catalogueFile(deps.context)), machineHasGpu(deps.context.extensionPath));
  const picked = await vscode.window.showQuickPick(firstRunChoices(recommended), { title: FIRST_RUN_TITLE, placeHolder: 'Pick how to get one (Escape to cancel)', ignoreFocusOut: true, matchOnDetail: true });
  switch (picked?.choice) {
    case 'download':
      return recommended ? offerCatalogueModel(deps, recommended, true) : undefined;
    case 'choose':
      return vscode.commands.executeCommand<string | undefined>('atelier.chooseModelFolder');
    case 'checkpoint':
      return vscode.commands.executeCommand<string | undefined>('atelier.chooseCheckpoint');
    case 'demo':
      return vscode.commands.executeCommand<string | undefined>('atelier.useDemoModel');
    case 'help':
      await vscode.commands.executeCommand('atelier.howToGetModel');
      return undefined;
    default:
      return undefined;
  }
}

/**
 * The model a job runs with: the configured one (or the user's pick when none is set), refused when
 * Workspace Trust forbids loading it. `refuse` tells the user why, in the caller's own surface.
 */
export async function trustedModel(deps: GenerateDeps, refuse: (problem: string) => void): Promise<string | undefined> {
  // On a ComfyUI server the model is the server's checkpoint name: nothing is loaded from the workspace.
  const backend = deps.backend();
  if (backend.capabilities().backend === 'comfyui') return comfyCheckpoint(backend, refuse);
  const modelDir = await resolveModel(deps);
  if (!modelDir) return undefined;
  const problem = modelTrustProblem(modelDir);
  if (problem) {
    refuse(problem);
    return undefined;
  }
  return modelDir;
}
