/** A recipe, with its input files read, as the one job builder's input: a recipe is a saved job. */
import type { ControlInput, ExecutionProviderPreference } from '../../shared/request';
import { buildJob, type JobSource } from '../jobs/buildJob';
import type { GenerationJob } from '../jobs/job';
import type { Recipe } from './recipe';

export interface RecipeInputs {
  readonly init?: Uint8Array;
  readonly mask?: Uint8Array;
  /** One per recipe control, in order. */
  readonly controls: readonly Uint8Array[];
}

export interface RecipeJobContext {
  readonly modelDir: string;
  readonly inputs: RecipeInputs;
  readonly labels: { readonly init?: string; readonly mask?: string; readonly controls: readonly string[] };
  readonly output: { readonly dir: string; readonly stem: string; readonly ext: string };
  readonly executionProvider: ExecutionProviderPreference;
  readonly controlNetRoots: readonly string[];
}

/** Defaults a recipe leaves out, the CLI's and settings' defaults. */
export const RECIPE_DEFAULTS = { negative: '', sampler: 'model-default', steps: 20, guidance: 7.5, width: 512, height: 512, maskBlur: 4, fill: 'edge' } as const;

function sourceOf(recipe: Recipe, inputs: RecipeInputs): JobSource {
  const init = recipe.init;
  if (!init || !inputs.init) return { kind: 'txt2img' };
  const maskBlur = init.maskBlur ?? RECIPE_DEFAULTS.maskBlur;
  if (init.outpaint) return { kind: 'outpaint', initImage: inputs.init, strength: init.strength ?? 1, extend: init.outpaint, fill: init.fill ?? RECIPE_DEFAULTS.fill, maskBlur };
  if (init.mask && inputs.mask) {
    return { kind: 'inpaint', initImage: inputs.init, strength: init.strength ?? 1, mask: inputs.mask, maskBlur, ...(init.onlyMaskedPadding !== undefined ? { onlyMasked: { padding: init.onlyMaskedPadding } } : {}) };
  }
  return { kind: 'img2img', initImage: inputs.init, strength: init.strength ?? 0.6 };
}

export function jobFromRecipe(recipe: Recipe, context: RecipeJobContext): GenerationJob {
  const controls: ControlInput[] = (recipe.controls ?? []).map((c, i) => ({ type: c.type, image: context.inputs.controls[i], scale: c.scale ?? 1, start: c.start ?? 0, end: c.end ?? 1 }));
  return buildJob({
    modelDir: context.modelDir,
    prompt: recipe.prompt,
    settings: {
      negativePrompt: recipe.negative ?? RECIPE_DEFAULTS.negative,
      sampler: recipe.sampler ?? RECIPE_DEFAULTS.sampler,
      steps: recipe.steps ?? RECIPE_DEFAULTS.steps,
      guidanceScale: recipe.guidance ?? RECIPE_DEFAULTS.guidance,
      seed: recipe.seed,
      width: recipe.width ?? RECIPE_DEFAULTS.width,
      height: recipe.height ?? RECIPE_DEFAULTS.height,
      executionProvider: context.executionProvider,
      workingResolution: 'model',
      controlNetRoots: context.controlNetRoots,
    },
    source: sourceOf(recipe, context.inputs),
    controls,
    loras: (recipe.loras ?? []).map((l) => ({ name: l.name ?? l.path ?? '', weight: l.weight })),
    output: context.output,
    labels: { initImageLabel: context.labels.init, maskLabel: context.labels.mask, controlLabels: context.labels.controls },
  });
}
