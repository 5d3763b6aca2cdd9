/**
 * The first half of a build, before any generation: find the recipes, read and check each one, resolve
 * its model and input files inside the workspace, order them so a recipe that uses another's image
 * comes after it, and refuse cycles. Problems are collected per recipe: one bad recipe loses nothing else.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FILE_KINDS, readBounded } from '../../shared/files/boundedRead';
import { findCachedModel } from '../models/cachedModels';
import { parseRepoRef } from '../models/hub/repoId';
import { isRecipeFile, recipeImageName, type Recipe, type RecipeModel } from './recipe';
import { parseRecipe, RecipeError, type RecipeProblem } from './parseRecipe';
import { resolveWorkspaceFile, workspaceRelative } from './workspaceFiles';

export interface RecipeInput {
  readonly role: 'init' | 'mask' | 'control' | 'lora';
  /** Index among the recipe's controls or LoRAs. */
  readonly index: number;
  readonly file: string;
  readonly rel: string;
}

export interface ResolvedModel {
  /** What a job's modelDir holds: a folder, or the server's checkpoint name. */
  readonly dir: string;
  /** Shown in metadata: a folder or repo name, never a full path. */
  readonly name: string;
}

export interface LoadedRecipe {
  readonly file: string;
  /** Workspace-relative, forward slashes. */
  readonly rel: string;
  readonly recipe?: Recipe;
  readonly image: string;
  readonly imageRel: string;
  readonly inputs: readonly RecipeInput[];
  readonly model?: ResolvedModel;
  readonly problems: RecipeProblem[];
  /** Recipes (by rel) whose image this one reads. */
  readonly dependsOn: readonly string[];
}

export type ModelResolver = (model: RecipeModel, root: string) => Promise<ResolvedModel | { readonly message: string; readonly fix: string }>;

/** Models named by builtin (the demo folder), Hugging Face cache id, or folder (workspace-relative or absolute). */
export function localModelResolver(options: { readonly demoDir?: string; readonly cacheRoot: string }): ModelResolver {
  return async (model, root) => {
    if (model.checkpoint !== undefined) return { dir: model.checkpoint, name: model.checkpoint };
    if (model.builtin === 'demo') {
      if (options.demoDir && (await stat(options.demoDir).catch(() => undefined))?.isDirectory()) return { dir: options.demoDir, name: 'atelier-demo (built-in demo, not a trained model)' };
      return { message: '$.model.builtin "demo": the built-in demo model is not installed here', fix: 'build Atelier (npm run build), or name a model with "id" or "path"' };
    }
    if (model.id !== undefined) {
      const ref = parseRepoRef(model.id);
      const cached = await findCachedModel(options.cacheRoot, ref);
      if (!cached) return { message: `$.model.id ${JSON.stringify(model.id)} is not in the model cache (${options.cacheRoot})`, fix: `run: atelier models pull ${model.id}` };
      return { dir: cached.dir, name: ref.repo };
    }
    const dir = path.resolve(root, model.path ?? '');
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) return { message: `$.model.path ${JSON.stringify(model.path)} is not a model folder (${dir} ${info ? 'is a file' : 'does not exist'})`, fix: 'name an ONNX model folder (the one with model_index.json), relative to the workspace or absolute' };
    return { dir, name: path.basename(dir) };
  };
}

const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'out']);

async function walk(dir: string, found: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) await walk(path.join(dir, entry.name), found);
    } else if (entry.isFile() && isRecipeFile(entry.name)) found.push(path.join(dir, entry.name));
  }
}

export class BuildPathError extends Error {}

/** The recipe files under `paths` (folders searched, node_modules and dot folders skipped), sorted. */
export async function findRecipes(paths: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => undefined);
    if (!info) throw new BuildPathError(`${p} does not exist; name recipe files (*.atelier.json) or folders holding them`);
    if (info.isDirectory()) await walk(path.resolve(p), found);
    else if (isRecipeFile(p)) found.push(path.resolve(p));
    else throw new BuildPathError(`${p} is not a recipe; recipe files end in .atelier.json`);
  }
  return [...new Set(found)].sort();
}

async function loadOne(file: string, root: string, resolveModel: ModelResolver): Promise<Omit<LoadedRecipe, 'dependsOn'>> {
  const rel = workspaceRelative(root, file);
  const base = { file, rel, inputs: [] as RecipeInput[], problems: [] as RecipeProblem[] };
  const fallbackImage = path.join(path.dirname(file), recipeImageName(file, {}));
  let recipe: Recipe;
  try {
    recipe = parseRecipe((await readBounded(file, FILE_KINDS.poseJson, 'recipe')).toString('utf8'), rel);
  } catch (error) {
    const problems = error instanceof RecipeError ? [...error.problems] : [{ file: rel, path: '$', message: (error as Error).message, fix: 'make it a readable recipe file' }];
    return { ...base, image: fallbackImage, imageRel: workspaceRelative(root, fallbackImage), problems };
  }
  const image = path.join(path.dirname(file), recipeImageName(file, recipe));
  const loaded = { ...base, recipe, image, imageRel: workspaceRelative(root, image) };
  const wanted: { role: RecipeInput['role']; index: number; value: string; where: string }[] = [];
  if (recipe.init) wanted.push({ role: 'init', index: 0, value: recipe.init.image.path, where: '$.init.image.path' });
  if (recipe.init?.mask) wanted.push({ role: 'mask', index: 0, value: recipe.init.mask.path, where: '$.init.mask.path' });
  recipe.controls?.forEach((c, i) => wanted.push({ role: 'control', index: i, value: c.image.path, where: `$.controls[${i}].image.path` }));
  recipe.loras?.forEach((l, i) => l.path !== undefined && wanted.push({ role: 'lora', index: i, value: l.path, where: `$.loras[${i}].path` }));
  for (const w of wanted) {
    // An input another recipe makes may not exist yet: it is checked after ordering.
    const resolved = await resolveWorkspaceFile(root, w.value, w.where);
    const target = path.resolve(root, w.value);
    if (resolved.ok) loaded.inputs.push({ role: w.role, index: w.index, file: resolved.file, rel: workspaceRelative(root, resolved.file) });
    else if (!path.isAbsolute(w.value) && !workspaceRelative(root, target).startsWith('..') && resolved.message.endsWith('does not exist')) loaded.inputs.push({ role: w.role, index: w.index, file: target, rel: workspaceRelative(root, target) });
    else loaded.problems.push({ file: rel, path: w.where, message: resolved.message, fix: resolved.fix });
  }
  const model = await resolveModel(recipe.model, root);
  if ('dir' in model) return { ...loaded, model };
  loaded.problems.push({ file: rel, path: '$.model', message: model.message, fix: model.fix });
  return loaded;
}

/** Cycles and missing inputs, once every recipe's image is known; returns the recipes in build order. */
function order(recipes: Omit<LoadedRecipe, 'dependsOn'>[]): LoadedRecipe[] {
  const byImage = new Map<string, string>();
  for (const r of recipes) {
    const other = byImage.get(r.imageRel);
    if (other) r.problems.push({ file: r.rel, path: '$.image', message: `$.image ${r.imageRel} is also made by ${other}`, fix: 'give each recipe its own image file' });
    else byImage.set(r.imageRel, r.rel);
  }
  const deps = new Map<string, string[]>();
  for (const r of recipes) {
    const list: string[] = [];
    for (const input of r.inputs) {
      const maker = byImage.get(input.rel);
      if (maker) list.push(maker);
    }
    deps.set(r.rel, [...new Set(list)]);
  }
  const byRel = new Map(recipes.map((r) => [r.rel, r]));
  const done: LoadedRecipe[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (rel: string, trail: string[]): void => {
    if (state.get(rel) === 'done') return;
    const r = byRel.get(rel);
    if (!r) return;
    if (state.get(rel) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(rel)), rel];
      const self = cycle.length === 2;
      r.problems.push({ file: r.rel, path: '$.init', message: self ? `${r.rel} reads its own image ${r.imageRel} as an input (a cycle)` : `a cycle: ${cycle.join(' → ')} each read the image the next one makes`, fix: self ? 'start from a different image (copy this one under another name first)' : 'break the cycle: one of these recipes must start from a file no recipe makes' });
      return;
    }
    state.set(rel, 'visiting');
    for (const d of deps.get(rel) ?? []) visit(d, [...trail, rel]);
    state.set(rel, 'done');
    done.push({ ...r, dependsOn: deps.get(rel) ?? [] });
  };
  for (const r of recipes) visit(r.rel, []);
  return done;
}

export async function loadRecipes(files: readonly string[], root: string, resolveModel: ModelResolver): Promise<LoadedRecipe[]> {
  const loaded = [];
  for (const file of files) loaded.push(await loadOne(file, root, resolveModel));
  const ordered = order(loaded);
  // An input that neither exists nor is made by a recipe is missing.
  const made = new Set(ordered.map((r) => r.imageRel));
  for (const r of ordered) {
    for (const input of r.inputs) {
      if (made.has(input.rel)) continue;
      const info = await stat(input.file).catch(() => undefined);
      if (!info) r.problems.push({ file: r.rel, path: input.role === 'init' ? '$.init.image.path' : input.role === 'mask' ? '$.init.mask.path' : input.role === 'control' ? `$.controls[${input.index}].image.path` : `$.loras[${input.index}].path`, message: `${input.rel} does not exist`, fix: `create ${input.rel}, or correct the path (relative to ${root})` });
    }
  }
  return ordered;
}
