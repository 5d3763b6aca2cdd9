/**
 * The recipe of a saved image: the job as plain data, written beside the image as
 * `<name>.atelier.json`. Input files are named workspace-relative with their hashes; a job whose inputs
 * are not files in the workspace (a canvas layer, a file outside) gets no recipe, and says why.
 */
import type { GenerationResult } from '../../shared/request';
import path from 'node:path';
import type { GenerationJob, JobFiles } from '../jobs/job';
import { saveNewFile } from '../output/saveImage';
import { RECIPE_SUFFIX, RECIPE_VERSION, formatRecipe, type Recipe, type RecipeFile, type RecipeModel } from './recipe';
import { sha256File, sha256Folder } from './hashing';
import { workspaceRelative } from './workspaceFiles';
import { repoFromFolderName } from '../models/hub/cacheLayout';


export interface RecipeContext {
  /** The workspace folder recipes are relative to. */
  readonly root: string;
  readonly backend: 'local' | 'comfyui';
  /** How the recipe names the model (the caller knows whether it is the demo, a cached repo or a folder). */
  readonly model: RecipeModel;
  /** Default: the files the job builder recorded. */
  readonly files?: JobFiles;
  /** What the model's few-step defaults replaced in the request (the result's `modelDefaults`): the recipe records what ran. */
  readonly modelDefaults?: GenerationResult['modelDefaults'];
}

export class NoRecipeError extends Error {}

function inside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

async function fileRef(root: string, file: string | undefined, what: string): Promise<RecipeFile> {
  if (!file) throw new NoRecipeError(`the ${what} is not a file (a canvas layer or pasted image), so a recipe could not name it`);
  if (!inside(root, file)) throw new NoRecipeError(`the ${what} ${file} is outside the workspace (${root}), so a recipe could not name it portably`);
  return { path: workspaceRelative(root, file), sha256: await sha256File(file) };
}

/**
 * How a recipe names the model in `modelDir`: the built-in demo, a Hugging Face cache id (portable), a
 * workspace-relative folder, or an absolute folder outside the workspace.
 */
export function recipeModelFor(modelDir: string, where: { readonly root: string; readonly demoDir?: string; readonly cacheRoot: string; readonly backend: 'local' | 'comfyui' }): RecipeModel {
  if (where.backend === 'comfyui') return { checkpoint: modelDir };
  const dir = path.resolve(modelDir);
  if (where.demoDir && dir === path.resolve(where.demoDir)) return { builtin: 'demo' };
  if (inside(path.resolve(where.cacheRoot), dir)) {
    const repo = repoFromFolderName(path.relative(path.resolve(where.cacheRoot), dir).split(path.sep)[0]);
    if (repo) return { id: repo };
  }
  return { path: inside(where.root, dir) ? workspaceRelative(where.root, dir) : dir };
}

/** The model reference with its content hash (local folders are hashed; a server checkpoint is named only). */
export async function modelRef(model: RecipeModel, dir: string | undefined): Promise<RecipeModel> {
  return dir && model.checkpoint === undefined ? { ...model, sha256: await sha256Folder(dir) } : model;
}

export async function recipeFromJob(job: GenerationJob, imageFile: string, context: RecipeContext): Promise<Recipe> {
  const r = job.request;
  const files = context.files ?? job.files ?? {};
  const model = await modelRef(context.model, context.backend === 'local' ? r.modelDir : undefined);
  const init =
    r.kind === 'txt2img'
      ? undefined
      : {
          image: await fileRef(context.root, files.init, 'init image'),
          strength: r.strength,
          ...(r.kind === 'inpaint' ? { mask: await fileRef(context.root, files.mask, 'mask'), maskBlur: r.maskBlur, onlyMaskedPadding: r.onlyMasked?.padding } : {}),
          ...(r.kind === 'outpaint' ? { outpaint: r.extend, fill: r.fill, maskBlur: r.maskBlur } : {}),
        };
  const controls = await Promise.all((r.controls ?? []).map(async (c, i) => ({ type: c.type === 'other' ? 'scribble' : c.type, image: await fileRef(context.root, files.controls?.[i], `control image ${i + 1}`), scale: c.scale, start: c.start, end: c.end })));
  if ((r.controls ?? []).some((c) => c.type === 'other')) throw new NoRecipeError('a control of type "other" cannot be written in a recipe');
  return {
    version: RECIPE_VERSION,
    backend: context.backend,
    model,
    prompt: r.prompt,
    negative: r.negativePrompt,
    sampler: context.modelDefaults?.sampler ?? r.sampling.sampler,
    steps: context.modelDefaults?.steps ?? r.sampling.steps,
    guidance: context.modelDefaults?.guidanceScale ?? r.sampling.guidanceScale,
    seed: r.sampling.seed,
    ...(r.kind === 'txt2img' ? { width: r.width, height: r.height } : {}),
    image: path.basename(imageFile),
    ...(init ? { init } : {}),
    ...(controls.length > 0 ? { controls } : {}),
    ...(job.loras.length > 0 ? { loras: job.loras.map((l) => ({ name: l.name, weight: l.weight })) } : {}),
  } as Recipe;
}

/** `hero.png` → `hero.atelier.json` beside it (a new file: an existing recipe is never replaced, `hero-1.atelier.json`). */
export async function writeRecipeBeside(imageFile: string, recipe: Recipe): Promise<string> {
  const dir = path.dirname(imageFile);
  const stem = path.basename(imageFile, path.extname(imageFile));
  return saveNewFile(dir, stem, RECIPE_SUFFIX, new TextEncoder().encode(formatRecipe(recipe)));
}
