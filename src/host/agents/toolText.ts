/** What the tools tell the agent: short, factual, with workspace-relative paths. */
import { shownPath } from './toolPaths';

export interface WrittenImage {
  /** The file written. */
  readonly saved: string;
  /** The file asked for (the save adds -1, -2 … rather than overwrite). */
  readonly requested: string;
  readonly width: number;
  readonly height: number;
  readonly seed?: number;
  readonly model?: string;
  /** The recipe written beside it, if any: the agent can edit it and rebuild with `atelier build`. */
  readonly recipe?: string;
}

export function writtenText(what: string, image: WrittenImage, folders: readonly string[]): string {
  const saved = shownPath(image.saved, folders);
  const details = [`${image.width}×${image.height}`, ...(image.seed === undefined ? [] : [`seed ${image.seed}`]), ...(image.model ? [`model ${image.model}`] : [])].join(', ');
  const renamed = image.saved === image.requested ? '' : ` ${shownPath(image.requested, folders)} already existed and was left unchanged, so the new image has the name ${saved}; use that path from now on.`;
  const recipe = image.recipe ? ` Its recipe is ${shownPath(image.recipe, folders)} (edit it and run \`atelier build\` or "Atelier: Build Assets" to regenerate).` : '';
  return `${what} ${saved} (${details}).${renamed}${recipe}`;
}

export interface ModelListing {
  /** The model generation uses now (atelier.modelPath), if any. */
  readonly configured?: { readonly dir: string; readonly demo: boolean };
  /** Models in the Hugging Face cache. */
  readonly cached: readonly { readonly repo: string; readonly dir: string; readonly pipelineClass: string | undefined }[];
}

export function modelListText(listing: ModelListing): string {
  const lines: string[] = [];
  const { configured } = listing;
  if (!configured) lines.push('No model is configured yet: atelier_generateImage will ask the user to pick one (or the built-in demo model) first.');
  else if (configured.demo) lines.push('Configured model: the built-in demo model (an analytic test model that paints prompt-dependent gradients, not a trained model; its images are placeholders).');
  else lines.push(`Configured model: ${configured.dir} (used by atelier_generateImage and atelier_editImage).`);
  if (listing.cached.length === 0) lines.push('No models in the Hugging Face cache.');
  else {
    lines.push('Models in the Hugging Face cache (the user switches with "Atelier: Manage Models"):');
    for (const m of listing.cached) lines.push(`- ${m.repo}${m.pipelineClass ? ` (${m.pipelineClass})` : ''}${configured && configured.dir === m.dir ? ' [configured]' : ''}`);
  }
  lines.push('The built-in demo model is always available ("Atelier: Use the Built-in Demo Model").');
  return lines.join('\n');
}
