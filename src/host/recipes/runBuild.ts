/**
 * `atelier build` and "Atelier: Build Assets": make every recipe's image that is missing or stale, in
 * dependency order, on one backend (one warm worker locally), recording each result in the lock file
 * as soon as it is written. A failing recipe is reported and the rest go on; check and dry-run decide
 * everything from hashes and generate nothing.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from '../../shared/errors';
import type { ExecutionProviderPreference, GenerationResult } from '../../shared/request';
import type { Backend, BackendCallbacks } from '../backend/backend';
import { describeForUser } from '../errors/userMessage';
import { toErrorInfo } from '../../shared/errors';
import { readParameters } from '../output/imageMetadata';
import { parseParameters } from '../output/parameters';
import { encodedFor, parametersFor } from '../output/saveGenerated';
import { upscaledBytes } from '../output/saveUpscaled';
import { replaceFile } from '../output/saveImage';
import { deriveFiles, derivedPaths, DerivedFileError, type PersonSegmenter } from './derivedFiles';
import { sha256File, sha256Folder, sha256Text } from './hashing';
import { loadRecipes, type LoadedRecipe, type ModelResolver } from './loadRecipes';
import { readLockFile, writeLockFile, type LockEntry, type LockFile } from './lockFile';
import { canonicalRecipe, type Recipe } from './recipe';
import { problemText } from './parseRecipe';
import { jobFromRecipe } from './recipeJob';
import { decide, type BuildAction, type BuildState, type CurrentFacts } from './staleness';
import { workspaceRelative } from './workspaceFiles';

export type BuildMode = 'build' | 'check' | 'dry-run';

export interface BuildOptions {
  /** The workspace: recipes' paths are relative to it; the lock file lives in it. */
  readonly root: string;
  /** Recipe files, absolute (findRecipes). */
  readonly recipes: readonly string[];
  readonly resolveModel: ModelResolver;
  /** Created on the first job that needs it, then reused (one warm worker). */
  readonly backend: (recipe: Recipe) => Backend;
  readonly mode: BuildMode;
  readonly force: boolean;
  readonly executionProvider: ExecutionProviderPreference;
  readonly controlNetRoots: readonly string[];
  readonly writeMetadata: boolean;
  /** Person masks for `outputs.transparent` (the local worker's segmentation); without it such recipes fail, saying why. */
  readonly segmentPerson?: PersonSegmenter;
  /** Derived files encoded at once (default 1). */
  readonly jobs?: number;
  readonly signal?: AbortSignal;
  /** Before each recipe's work starts, and with its events while it runs. */
  readonly onStart?: (item: { readonly index: number; readonly total: number; readonly recipe: string; readonly image: string; readonly action: BuildAction }) => void;
  readonly callbacks?: Omit<BackendCallbacks, 'signal'>;
  readonly onItem?: (item: BuildItem) => void;
}

export type ItemOutcome = 'built' | 'derived' | 'recorded' | 'up-to-date' | 'would-build' | 'blocked' | 'failed' | 'cancelled';

export interface BuildItem {
  readonly recipe: string;
  readonly image: string;
  readonly state: BuildState | 'error';
  readonly outcome: ItemOutcome;
  readonly reasons: readonly string[];
  /** Errors, one line each, naming the file, the JSON path and the fix. */
  readonly problems: readonly string[];
  readonly notes: readonly string[];
  /** Files written (workspace-relative). */
  readonly written: readonly string[];
}

export interface BuildReport {
  readonly items: readonly BuildItem[];
  /** Build and dry run: nothing failed or blocked. Check: everything up to date. */
  readonly ok: boolean;
}

async function hashOrUndefined(file: string): Promise<string | undefined> {
  return sha256File(file).catch(() => undefined);
}

function modelHash(loaded: LoadedRecipe): Promise<string> {
  const recipe = loaded.recipe as Recipe;
  return (recipe.backend ?? 'local') === 'comfyui' ? Promise.resolve(sha256Text(`comfyui:${recipe.model.checkpoint ?? ''}`)) : sha256Folder(loaded.model?.dir ?? '');
}

/** An image saved with this recipe says so in its parameters: same prompt, negative, seed and steps. */
async function savedWithRecipe(image: string, recipe: Recipe): Promise<boolean> {
  try {
    const text = readParameters(await readFile(image));
    if (text === undefined) return false;
    const p = parseParameters(text);
    return p.prompt === recipe.prompt && (p.negativePrompt ?? '') === (recipe.negative ?? '') && p.seed === recipe.seed && (recipe.steps === undefined || p.steps === recipe.steps);
  } catch {
    return false;
  }
}

async function factsOf(loaded: LoadedRecipe, root: string, entry: LockEntry | undefined, rebuilt: ReadonlySet<string>): Promise<CurrentFacts> {
  const recipe = loaded.recipe as Recipe;
  const inputs: Record<string, string> = {};
  for (const input of loaded.inputs) inputs[input.rel] = rebuilt.has(input.rel) ? 'rebuilt' : ((await hashOrUndefined(input.file)) ?? 'missing');
  const derived = derivedPaths(loaded.image, recipe.outputs).map((f) => workspaceRelative(root, f));
  const disk: Record<string, string | undefined> = {};
  for (const rel of new Set([loaded.imageRel, ...derived, ...Object.keys(entry?.files ?? {})])) disk[rel] = await hashOrUndefined(path.join(root, rel));
  return {
    imageRel: loaded.imageRel,
    job: sha256Text(canonicalRecipe(recipe)),
    outputs: sha256Text(JSON.stringify(recipe.outputs ?? {})),
    inputs,
    model: await modelHash(loaded),
    disk,
    derived,
    rebuiltInputs: loaded.inputs.filter((i) => rebuilt.has(i.rel)).map((i) => i.rel),
    adoptable: !entry && disk[loaded.imageRel] !== undefined && (await savedWithRecipe(loaded.image, recipe)),
  };
}

/** Notes when the recipe's own record of a hash differs from the file now (it was written with other inputs). */
function recordedHashNotes(loaded: LoadedRecipe, facts: CurrentFacts): string[] {
  const recipe = loaded.recipe as Recipe;
  const notes: string[] = [];
  const recorded: { rel: string; sha?: string; where: string }[] = [];
  if (recipe.init) recorded.push({ rel: loaded.inputs.find((i) => i.role === 'init')?.rel ?? '', sha: recipe.init.image.sha256, where: '$.init.image.sha256' });
  if (recipe.init?.mask) recorded.push({ rel: loaded.inputs.find((i) => i.role === 'mask')?.rel ?? '', sha: recipe.init.mask.sha256, where: '$.init.mask.sha256' });
  recipe.controls?.forEach((c, i) => recorded.push({ rel: loaded.inputs.find((x) => x.role === 'control' && x.index === i)?.rel ?? '', sha: c.image.sha256, where: `$.controls[${i}].image.sha256` }));
  for (const r of recorded) if (r.sha && facts.inputs[r.rel] && facts.inputs[r.rel] !== 'rebuilt' && facts.inputs[r.rel] !== r.sha) notes.push(`${r.rel} differs from the file the recipe was written with (${r.where})`);
  if (recipe.model.sha256 && recipe.model.sha256 !== facts.model) notes.push('the model differs from the one the recipe was written with ($.model.sha256); results may differ');
  return notes;
}

interface Made {
  readonly bytes: Uint8Array;
  readonly provider: string;
}

async function generate(loaded: LoadedRecipe, options: BuildOptions, signal: AbortSignal | undefined): Promise<Made> {
  const recipe = loaded.recipe as Recipe;
  const read = async (role: string, index = 0): Promise<Uint8Array | undefined> => {
    const input = loaded.inputs.find((i) => i.role === role && i.index === index);
    return input ? new Uint8Array(await readFile(input.file)) : undefined;
  };
  const controls: Uint8Array[] = [];
  for (let i = 0; i < (recipe.controls ?? []).length; i++) controls.push((await read('control', i)) as Uint8Array);
  const ext = path.extname(loaded.image);
  const job = jobFromRecipe(recipe, {
    modelDir: loaded.model?.dir ?? '',
    inputs: { init: await read('init'), mask: await read('mask'), controls },
    labels: { init: recipe.init?.image.path, mask: recipe.init?.mask?.path, controls: (recipe.controls ?? []).map((c) => c.image.path) },
    output: { dir: path.dirname(loaded.image), stem: path.basename(loaded.image, ext), ext },
    executionProvider: options.executionProvider,
    controlNetRoots: options.controlNetRoots,
  });
  const backend = options.backend(recipe);
  const callbacks = { ...options.callbacks, signal };
  const result: GenerationResult = await backend.generate(job, callbacks);
  const provider = result.server ? `comfyui${result.server.version ? ` ${result.server.version}` : ''}` : result.executionProvider;
  let bytes = await encodedFor(result.png, ext, options.writeMetadata ? parametersFor(job.request, result, { writeMetadata: true, modelName: loaded.model?.name ?? '', ...job.labels }) : undefined, result);
  for (const step of recipe.post ?? []) {
    const up = await backend.upscale({ image: bytes, scale: step.upscale, model: step.model ?? 'slim', executionProvider: options.executionProvider }, callbacks);
    bytes = await upscaledBytes(bytes, up, ext, options.writeMetadata);
  }
  return { bytes, provider };
}

async function writeAll(root: string, files: Map<string, Uint8Array>): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const [file, bytes] of files) {
    await mkdir(path.dirname(file), { recursive: true });
    await replaceFile(file, bytes);
    hashes[workspaceRelative(root, file)] = sha256Text(bytes);
  }
  return hashes;
}

function errorLine(loaded: LoadedRecipe, error: unknown): string {
  if (error instanceof DerivedFileError) return `${loaded.rel}: ${error.message}`;
  // Plain errors here are the build's own refusals (a backend that cannot run the recipe), already worded.
  if (!(error instanceof PipelineError) && error instanceof Error && !(error instanceof TypeError) && !(error instanceof RangeError)) return `${loaded.rel}: ${error.message}`;
  const info = toErrorInfo(error);
  const field = info.argument ? ` ($ field: ${info.argument})` : '';
  return `${loaded.rel}: ${describeForUser(info, 'cli').message}${field}`;
}

export async function runBuild(options: BuildOptions): Promise<BuildReport> {
  const { root } = options;
  const lock: LockFile = await readLockFile(root);
  const outputs: Record<string, LockEntry> = { ...lock.outputs };
  const recipes = await loadRecipes(options.recipes, root, options.resolveModel);
  const items: BuildItem[] = [];
  /** Images remade in this run (their dependents are stale), and ones that failed (their dependents cannot run). */
  const rebuilt = new Set<string>();
  const failed = new Set<string>();
  const report = (item: BuildItem): void => {
    items.push(item);
    options.onItem?.(item);
  };
  for (const [index, loaded] of recipes.entries()) {
    const base = { recipe: loaded.rel, image: loaded.imageRel, notes: [] as string[], written: [] as string[] };
    if (options.signal?.aborted) {
      report({ ...base, state: 'error', outcome: 'cancelled', reasons: [], problems: [] });
      continue;
    }
    const blockedBy = loaded.dependsOn.filter((d) => failed.has(d));
    if (loaded.problems.length > 0 || !loaded.recipe || blockedBy.length > 0) {
      failed.add(loaded.rel);
      report({ ...base, state: 'error', outcome: 'failed', reasons: [], problems: [...loaded.problems.map(problemText), ...blockedBy.map((d) => `${loaded.rel}: needs the image of ${d}, which failed`)] });
      continue;
    }
    const made = new Set(recipes.filter((r) => rebuilt.has(r.rel)).map((r) => r.imageRel));
    const entry = outputs[loaded.imageRel];
    let facts: CurrentFacts;
    try {
      facts = await factsOf(loaded, root, entry, made);
    } catch (error) {
      failed.add(loaded.rel);
      report({ ...base, state: 'error', outcome: 'failed', reasons: [], problems: [errorLine(loaded, error)] });
      continue;
    }
    const decision = decide(entry, facts, options.force);
    // Said when the image is made or recorded, not on every up-to-date run after.
    const notes = decision.action === 'generate' || decision.action === 'adopt' ? recordedHashNotes(loaded, facts) : [];
    const item = { ...base, state: decision.state, reasons: decision.reasons, problems: [] as string[], notes };
    if (decision.action === 'skip') {
      report({ ...item, outcome: 'up-to-date' });
      continue;
    }
    if (decision.action === 'blocked') {
      // Its image is still there as it was: recipes that read it can go on.
      report({ ...item, outcome: 'blocked' });
      continue;
    }
    if (options.mode !== 'build') {
      // Dependents of something that would be rebuilt would be rebuilt too.
      if (decision.action === 'generate') rebuilt.add(loaded.rel);
      report({ ...item, outcome: 'would-build' });
      continue;
    }
    options.onStart?.({ index, total: recipes.length, recipe: loaded.rel, image: loaded.imageRel, action: decision.action });
    try {
      const recipe = loaded.recipe;
      let provider = entry?.provider ?? 'unknown';
      let imageBytes: Uint8Array;
      const files = new Map<string, Uint8Array>();
      if (decision.action === 'generate') {
        const result = await generate(loaded, options, options.signal);
        if (entry && entry.provider !== result.provider) notes.push(`built on ${result.provider}; it was built on ${entry.provider} before, so results may differ`);
        provider = result.provider;
        imageBytes = result.bytes;
        files.set(loaded.image, imageBytes);
      } else {
        imageBytes = new Uint8Array(await readFile(loaded.image));
        if (decision.action === 'adopt') provider = 'saved';
      }
      const derived = await deriveFiles(imageBytes, loaded.image, recipe.outputs, options.jobs ?? 1, options.segmentPerson);
      for (const [file, bytes] of derived) if (decision.action === 'generate' || facts.disk[workspaceRelative(root, file)] !== sha256Text(bytes)) files.set(file, bytes);
      const written = await writeAll(root, files);
      const allFiles: Record<string, string> = { [loaded.imageRel]: sha256Text(imageBytes) };
      for (const [file, bytes] of derived) allFiles[workspaceRelative(root, file)] = sha256Text(bytes);
      outputs[loaded.imageRel] = { recipe: loaded.rel, job: facts.job, outputs: facts.outputs, inputs: Object.fromEntries(await Promise.all(loaded.inputs.map(async (i) => [i.rel, await sha256File(i.file)] as const))), model: facts.model, backend: recipe.backend ?? 'local', provider, files: allFiles };
      await writeLockFile(root, { version: 1, outputs });
      if (decision.action === 'generate') rebuilt.add(loaded.rel);
      report({ ...item, outcome: decision.action === 'generate' ? 'built' : decision.action === 'derive' ? 'derived' : 'recorded', written: Object.keys(written) });
    } catch (error) {
      failed.add(loaded.rel);
      const cancelled = error instanceof PipelineError && error.code === 'CANCELLED';
      report({ ...item, state: 'error', outcome: cancelled ? 'cancelled' : 'failed', problems: cancelled ? [] : [errorLine(loaded, error)] });
    }
  }
  const ok = options.mode === 'check' ? items.every((i) => i.outcome === 'up-to-date') : items.every((i) => i.outcome !== 'failed' && i.outcome !== 'blocked' && i.outcome !== 'cancelled');
  return { items, ok };
}
