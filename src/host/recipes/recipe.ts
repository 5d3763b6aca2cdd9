/**
 * A recipe: how Atelier makes one image, as plain data in `<name>.atelier.json` beside it. The job
 * builder's input, saved. Written with a stable key order and one value per line so it diffs well.
 */
import type { ControlType, SamplerName, UpscaleFactor, UpscalerModel } from '../../shared/request';

export const RECIPE_VERSION = 1;
export const RECIPE_SUFFIX = '.atelier.json';
/** The schema's `$id`; VS Code maps `*.atelier.json` to the copy shipped in the extension. */
export const RECIPE_SCHEMA_URL = 'https://atelier.dev/schema/recipe-1.json';

/** A workspace-relative file (forward slashes) and its content hash when the recipe was written. */
export interface RecipeFile {
  readonly path: string;
  readonly sha256?: string;
}

export interface RecipeModel {
  readonly builtin?: 'demo';
  readonly id?: string;
  readonly path?: string;
  readonly checkpoint?: string;
  readonly sha256?: string;
}

export interface RecipeInit {
  readonly image: RecipeFile;
  readonly strength?: number;
  readonly mask?: RecipeFile;
  readonly maskBlur?: number;
  readonly onlyMaskedPadding?: number;
  readonly outpaint?: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
  readonly fill?: 'edge' | 'noise';
}

export interface RecipeControl {
  readonly type: Exclude<ControlType, 'other'>;
  readonly image: RecipeFile;
  readonly scale?: number;
  readonly start?: number;
  readonly end?: number;
}

export interface RecipeLora {
  readonly name?: string;
  readonly path?: string;
  readonly sha256?: string;
  readonly weight: number;
}

export interface RecipePost {
  readonly upscale: UpscaleFactor;
  readonly model?: UpscalerModel;
}

export const DERIVED_FORMATS = ['png', 'webp', 'avif', 'jpeg'] as const;
export type DerivedFormat = (typeof DERIVED_FORMATS)[number];

export interface RecipeOutputs {
  readonly sizes?: readonly (string | number)[];
  readonly formats?: readonly (DerivedFormat | { readonly format: DerivedFormat; readonly quality?: number })[];
  readonly icons?: boolean;
  /** `<name>-transparent.png|webp`: the people in the image on a transparent background (built-in person segmentation). */
  readonly transparent?: 'png' | 'webp';
}

export interface Recipe {
  readonly $schema?: string;
  readonly version: 1;
  readonly backend?: 'local' | 'comfyui';
  readonly model: RecipeModel;
  readonly prompt: string;
  readonly negative?: string;
  readonly sampler?: SamplerName;
  readonly steps?: number;
  readonly guidance?: number;
  readonly seed: number;
  readonly width?: number;
  readonly height?: number;
  readonly image?: string;
  readonly init?: RecipeInit;
  readonly controls?: readonly RecipeControl[];
  readonly loras?: readonly RecipeLora[];
  readonly post?: readonly RecipePost[];
  readonly outputs?: RecipeOutputs;
}

/** Key order when written, per object; keys not listed (none in a valid recipe) follow in their own order. */
const ORDER: readonly string[] = [
  '$schema', 'version', 'backend', 'model', 'prompt', 'negative', 'sampler', 'steps', 'guidance', 'seed', 'width', 'height', 'image',
  'init', 'controls', 'loras', 'post', 'outputs',
  // nested objects
  'builtin', 'id', 'checkpoint', 'name', 'type', 'path', 'sha256', 'strength', 'mask', 'maskBlur', 'onlyMaskedPadding', 'outpaint', 'fill',
  'left', 'right', 'top', 'bottom', 'scale', 'start', 'end', 'weight', 'upscale', 'sizes', 'formats', 'format', 'quality', 'icons',
];

function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  const rank = (k: string): number => {
    const i = ORDER.indexOf(k);
    return i < 0 ? ORDER.length : i;
  };
  entries.sort(([a], [b]) => rank(a) - rank(b));
  return Object.fromEntries(entries.map(([k, v]) => [k, ordered(v)]));
}

/** The recipe as its file holds it: stable key order, two-space indent, one value per line, final newline. */
export function formatRecipe(recipe: Recipe): string {
  return `${JSON.stringify(ordered({ $schema: RECIPE_SCHEMA_URL, ...recipe }), null, 2)}\n`;
}

/** The same text for the same meaning (key order and spacing ignored): what the lock file hashes. */
export function canonicalRecipe(recipe: Recipe): string {
  const { $schema: _schema, outputs: _outputs, ...job } = recipe;
  return JSON.stringify(ordered(job));
}

/** `hero.atelier.json` → `hero`. */
export function recipeName(file: string): string {
  const base = file.replace(/^.*[\\/]/, '');
  return base.slice(0, base.length - RECIPE_SUFFIX.length);
}

export function isRecipeFile(file: string): boolean {
  return file.endsWith(RECIPE_SUFFIX) && recipeName(file).length > 0;
}

/** The image a recipe makes, a file name beside it. */
export function recipeImageName(file: string, recipe: Pick<Recipe, 'image'>): string {
  return recipe.image ?? `${recipeName(file)}.png`;
}
