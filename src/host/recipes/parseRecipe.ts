/**
 * Reading a recipe strictly: JSON syntax, then the shipped JSON Schema, then the rules a schema cannot
 * say (exactly one model reference, backend and model agreeing, mask or outpaint). Every problem names
 * the file, the JSON path and the fix; nothing is guessed or dropped.
 */
import schema from '../../../assets/schema/recipe.schema.json';
import { SchemaChecker, type SchemaNode, type SchemaProblem } from './schemaCheck';
import type { Recipe } from './recipe';

export const RECIPE_SCHEMA = schema as unknown as SchemaNode;
const checker = new SchemaChecker(RECIPE_SCHEMA);

export interface RecipeProblem extends SchemaProblem {
  /** The recipe (or input) file, as the caller named it. */
  readonly file: string;
}

/** One line per problem: `file: $.path: what; fix: how`. */
export function problemText(p: RecipeProblem): string {
  return `${p.file}: ${p.message.startsWith(p.path) ? p.message : `${p.path}: ${p.message}`}; fix: ${p.fix}`;
}

export class RecipeError extends Error {
  constructor(readonly problems: readonly RecipeProblem[]) {
    super(problems.map(problemText).join('\n'));
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

function semantic(recipe: Recipe): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const refs = (['builtin', 'id', 'path', 'checkpoint'] as const).filter((k) => recipe.model[k] !== undefined);
  const backend = recipe.backend ?? 'local';
  if (refs.length !== 1) {
    problems.push({ path: '$.model', message: refs.length === 0 ? '$.model names no model' : `$.model names ${refs.length} models (${refs.join(', ')})`, fix: 'give exactly one of "builtin": "demo", "id": "<org/name>", "path": "<model folder>" or, with backend comfyui, "checkpoint"' });
  } else if (backend === 'comfyui' && refs[0] !== 'checkpoint') {
    problems.push({ path: `$.model.${refs[0]}`, message: `$.model.${refs[0]} names a local model, but backend is comfyui`, fix: 'name the server\'s checkpoint with "checkpoint", or set "backend": "local"' });
  } else if (backend === 'local' && refs[0] === 'checkpoint') {
    problems.push({ path: '$.model.checkpoint', message: '$.model.checkpoint names a ComfyUI checkpoint, but backend is local', fix: 'set "backend": "comfyui", or name a local model with "builtin", "id" or "path"' });
  }
  if (recipe.init?.mask && recipe.init.outpaint) problems.push({ path: '$.init.outpaint', message: '$.init has both a mask and outpaint', fix: 'keep "mask" (inpaint) or "outpaint", not both' });
  if (recipe.init?.onlyMaskedPadding !== undefined && !recipe.init.mask) problems.push({ path: '$.init.onlyMaskedPadding', message: '$.init.onlyMaskedPadding needs a mask', fix: 'add "mask" to $.init, or remove onlyMaskedPadding' });
  recipe.loras?.forEach((lora, i) => {
    if (lora.name === undefined && lora.path === undefined) problems.push({ path: `$.loras[${i}]`, message: `$.loras[${i}] names no LoRA`, fix: 'add "name" (as the backend lists it) or "path" (a workspace-relative .safetensors file)' });
  });
  recipe.controls?.forEach((c, i) => {
    if ((c.start ?? 0) > (c.end ?? 1)) problems.push({ path: `$.controls[${i}].start`, message: `$.controls[${i}] starts (${c.start ?? 0}) after it ends (${c.end ?? 1})`, fix: 'make start no larger than end (fractions of the steps)' });
  });
  if (new Set(recipe.outputs?.sizes ?? []).size !== (recipe.outputs?.sizes ?? []).length) problems.push({ path: '$.outputs.sizes', message: '$.outputs.sizes repeats a size', fix: 'list each size once' });
  return problems;
}

/** Parses and checks recipe text; throws RecipeError listing every problem, each naming `file`. */
export function parseRecipe(text: string, file: string): Recipe {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    const at = /position (\d+)/.exec((error as Error).message);
    const where = at ? ` at ${lineAndColumn(text, Number(at[1]))}` : '';
    throw new RecipeError([{ file, path: '$', message: `$ is not valid JSON${where} (${(error as Error).message})`, fix: 'correct the JSON syntax (recipes are plain JSON: no comments, no trailing commas)' }]);
  }
  const problems = checker.check(value);
  if (problems.length === 0) problems.push(...semantic(value as Recipe));
  if (problems.length > 0) throw new RecipeError(problems.map((p) => ({ ...p, file })));
  return value as Recipe;
}
