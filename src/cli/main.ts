/**
 * `atelier` CLI: the same supervised worker and pipeline as the extension, for scripts and CI.
 * Exit codes: 0 ok, 1 generation failed, 2 bad usage, 130 cancelled (Ctrl-C).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PipelineError, toErrorInfo } from '../shared/errors';
import type { ControlInput, GenerationResult } from '../shared/request';
import { buildJob, type JobSettings, type JobSource } from '../host/jobs/buildJob';
import { drawSeed } from '../host/jobs/seed';
import { defaultStem } from '../host/jobs/stem';
import { describeForUser } from '../host/errors/userMessage';
import { saveGenerated } from '../host/output/saveGenerated';
import { checkWritableFolder, saveNewFile } from '../host/output/saveImage';
import { OutputPathError, resolveOutput, type OutputKind, type OutputTarget } from '../host/output/outputTarget';
import { decodeRgba, encodePng, ImageReadError, readImageInfo, type ImageInfo } from '../host/images/imageCodec';
import { toOpenPoseJson } from '../shared/canvas/openpose';
import { WorkerSupervisor } from '../host/worker/workerSupervisor';
import { localLoraFile, parseCli, USAGE, UsageError, type DetectArgs, type GenerateArgs, type TokenizeArgs, type UpscaleArgs } from './args';
import { saveUpscaled, upscaleTarget } from '../host/output/saveUpscaled';
import { ProgressBar } from './progressBar';
import { modelsCommand } from './modelsCommand';
import { buildCommand, buildRoot } from './buildCommand';
import { NoRecipeError, recipeFromJob, writeRecipeBeside } from '../host/recipes/recipeFromJob';
import type { RecipeModel } from '../host/recipes/recipe';
import { workspaceRelative } from '../host/recipes/workspaceFiles';
import type { GenerationJob } from '../host/jobs/job';
import { readPromptFile } from './promptFile';
import { findCachedModel } from '../host/models/cachedModels';
import { parseRepoRef } from '../host/models/hub/repoId';
import { hubEnvironment } from '../host/models/hubEnvironment';
import { convertedModelsRoot } from '../host/models/convertedModels';
import { resolveLoraNames } from '../host/models/loraFolders';
import { extractLoraTags } from '../shared/prompt/loraTags';
import { isCheckpointFile, type ConvertCheckpointResult } from '../shared/convert';
import { callbacksFor, type Backend } from '../host/backend/backend';
import { OnnxBackend } from '../host/backend/onnxBackend';
import { FILE_KINDS, FileReadError, readBounded } from '../shared/files/boundedRead';
import { ComfyBackend } from '../host/backend/comfyBackend';
import { upscaledBytes } from '../host/output/saveUpscaled';

const DEMO_MODEL = path.join(__dirname, 'demo-model');

function supervisor(): WorkerSupervisor {
  return new WorkerSupervisor({
    workerPath: path.join(__dirname, 'pipeline-worker.js'),
    log: (level, message) => {
      if (level === 'error' || process.env.ATELIER_DEBUG) process.stderr.write(`[${level}] ${message}\n`);
    },
  });
}

async function resolveModel(args: GenerateArgs): Promise<{ dir: string; name: string }> {
  const chosen = args.model ?? process.env.ATELIER_MODEL;
  if (chosen && !existsSync(chosen) && /^[\w.-]+\/[\w.-]+(@[\w./-]+)?$/.test(chosen)) {
    // A Hugging Face repo id already in the cache (atelier models pull …).
    const ref = parseRepoRef(chosen);
    const cached = await findCachedModel(hubEnvironment().cacheRoot, ref);
    if (!cached) throw new UsageError(`${chosen} is neither a folder nor a cached model; run: atelier models pull ${chosen}`);
    return { dir: cached.dir, name: ref.repo };
  }
  if (chosen) return { dir: path.resolve(chosen), name: path.basename(path.resolve(chosen)) };
  if (!existsSync(DEMO_MODEL)) throw new UsageError('no --model given, ATELIER_MODEL is unset, and the built-in demo model is missing (run npm run build)');
  process.stderr.write(
    'atelier: no --model given and ATELIER_MODEL is unset: using the built-in DEMO model.\n' +
      '         It is an analytic test model that paints prompt-dependent gradients, not a trained model.\n' +
      '         See "How to get a model" in the README for a real one.\n',
  );
  return { dir: DEMO_MODEL, name: 'atelier-demo (built-in demo, not a trained model)' };
}

/** An image the user named: a regular file within the image cap, else a usage error naming the flag and why. */
async function readInput(flag: string, file: string): Promise<Uint8Array> {
  try {
    const bytes = await readBounded(file, FILE_KINDS.image, flag);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    if (error instanceof FileReadError) throw new UsageError(error.message);
    throw error;
  }
}

/** An image argument, read and checked from its header (format, size) before any work; refusals name the file. */
async function readImageInput(flag: string, file: string): Promise<{ bytes: Uint8Array; info: ImageInfo }> {
  const bytes = await readInput(flag, file);
  try {
    return { bytes, info: await readImageInfo(bytes, path.basename(file)) };
  } catch (error) {
    if (error instanceof ImageReadError) throw new PipelineError('INVALID_INPUT', flag.startsWith('--') ? `${flag}: ${error.message}` : error.message, { argument: 'image' });
    throw error;
  }
}

/** Where --out (or the default) puts the result, checked writable before any work; bad --out values are usage errors. */
async function outputTarget(out: string | undefined, fallback: { dir: string; stem: string; ext?: string }, kind?: OutputKind): Promise<OutputTarget> {
  let target: OutputTarget;
  try {
    target = await resolveOutput(out, fallback, kind);
  } catch (error) {
    if (error instanceof OutputPathError) throw new UsageError(error.message);
    throw error;
  }
  await checkWritableFolder(target.dir);
  return target;
}

async function controlsFrom(args: GenerateArgs, onServer: boolean): Promise<ControlInput[]> {
  const controls: ControlInput[] = [];
  for (const c of args.controls) {
    // On a ComfyUI server --controlnet names the server's ControlNet, not a folder here.
    const controlNetDir = c.controlNetDir && (onServer ? c.controlNetDir : path.resolve(c.controlNetDir));
    controls.push({ type: c.type, image: (await readImageInput('--control', c.file)).bytes, scale: c.scale, start: c.start, end: c.end, controlNetDir });
  }
  return controls;
}

/** The ComfyUI server to run on: --comfyui, else $ATELIER_COMFYUI_URL (said on stderr), else none (local). */
function comfyUrl(flag: string | undefined): string | undefined {
  if (flag !== undefined) {
    if (flag.trim() === '') throw new UsageError('--comfyui needs the server address, e.g. --comfyui http://127.0.0.1:8188');
    return flag;
  }
  const env = process.env.ATELIER_COMFYUI_URL;
  if (!env) return undefined;
  process.stderr.write(`atelier: running on the ComfyUI server at ${env} (ATELIER_COMFYUI_URL); unset it to run locally\n`);
  return env;
}

/** A ComfyUI backend for the CLI: the token from the environment only (a flag would show in `ps`). */
function comfyBackend(url: string): ComfyBackend {
  return new ComfyBackend({ url, token: process.env.ATELIER_COMFYUI_TOKEN || undefined, log: (level, message) => {
    if (process.env.ATELIER_DEBUG) process.stderr.write(`[${level}] ${message}\n`);
  } });
}

/** With ComfyUI, --model names a checkpoint the server lists; without one, the error lists them. */
/** The model a generation runs on; `loras` are those merged into a converted checkpoint (for "Lora hashes"). */
interface ChosenModel {
  readonly dir: string;
  readonly name: string;
  readonly loras?: readonly { readonly name: string; readonly shortHash: string }[];
}

async function comfyModel(args: GenerateArgs, backend: ComfyBackend): Promise<ChosenModel> {
  if (args.model) return { dir: args.model, name: args.model };
  const client = await backend.client();
  const list = client.info.checkpoints.length > 0 ? `it lists: ${client.info.checkpoints.join(', ')}` : 'it lists none';
  throw new UsageError(`--comfyui needs --model <checkpoint as the server lists it>; ${list}`);
}

/** Options only the local pipeline reads would be silently ignored on a server: refused, naming them. */
function refuseLocalOnly(args: GenerateArgs): void {
  const localOnly = [
    args.fullSize ? '--full-size' : undefined,
    args.provider !== 'auto' ? '--provider' : undefined,
    args.controlNetRoots.length > 0 ? '--controlnets' : undefined,
  ].filter((f): f is string => f !== undefined);
  if (localOnly.length > 0) throw new UsageError(`${localOnly.join(', ')} ${localOnly.length > 1 ? 'apply' : 'applies'} only to the local pipeline; leave ${localOnly.length > 1 ? 'them' : 'it'} out with --comfyui (the server picks its own device and sizes)`);
}

/** generate --recipe: the job as a recipe beside the image; inputs must be in the workspace (the folder holding .git or atelier.lock.json). */
async function cliRecipe(args: GenerateArgs, job: GenerationJob, file: string, modelDir: string, onComfy: boolean, modelDefaults: GenerationResult['modelDefaults']): Promise<string | undefined> {
  const cwd = process.cwd();
  const start = path.relative(cwd, file).startsWith('..') ? path.dirname(file) : cwd;
  const root = buildRoot(undefined, start);
  const chosen = args.model ?? process.env.ATELIER_MODEL;
  const model: RecipeModel = onComfy
    ? { checkpoint: modelDir }
    : !chosen
      ? { builtin: 'demo' }
      : !existsSync(chosen) && /^[\w.-]+\/[\w.-]+(@[\w./-]+)?$/.test(chosen)
        ? { id: chosen }
        : { path: path.relative(root, modelDir).startsWith('..') ? modelDir : workspaceRelative(root, modelDir) || '.' };
  try {
    const recipe = await recipeFromJob(job, file, { root, backend: onComfy ? 'comfyui' : 'local', model, modelDefaults, files: { init: args.initImage && path.resolve(args.initImage), mask: args.mask && path.resolve(args.mask), controls: args.controls.map((c) => path.resolve(c.file)) } });
    return await writeRecipeBeside(file, recipe);
  } catch (error) {
    if (!(error instanceof NoRecipeError)) throw error;
    process.stderr.write(`atelier: no recipe written: ${error.message}\n`);
    return undefined;
  }
}

async function generate(args: GenerateArgs): Promise<number> {
  // The worker reads it when it loads the model (it inherits this environment).
  if (args.int8) process.env.ATELIER_UNET_INT8 = '1';
  const prompt = args.promptFile ? await readPromptFile(args.promptFile) : (args.prompt ?? '');
  // Drawn first: the default file name carries it, and where the result goes is settled (and checked
  // writable) before anything else is read or started.
  const seed = drawSeed(args.seed);
  const output = await outputTarget(args.out, { dir: process.cwd(), stem: defaultStem(prompt, seed) });
  const url = comfyUrl(args.comfyui);
  if (url !== undefined) refuseLocalOnly(args);
  const comfy = url !== undefined ? comfyBackend(url) : undefined;
  try {
    return await generateOn(args, prompt, seed, output, comfy);
  } finally {
    comfy?.close();
  }
}

/**
 * A `.safetensors` --model is converted once (in the worker, with progress; Ctrl-C cancels) into a cached ONNX
 * folder with the --lora files merged; an ONNX folder is used as it is.
 */
async function localModel(args: GenerateArgs, promptLoras: readonly { readonly file: string; readonly weight: number }[] = []): Promise<ChosenModel> {
  const model = await resolveModel(args);
  if (!isCheckpointFile(model.dir)) {
    if (promptLoras.length > 0) throw new UsageError(`<lora:name:weight> in the prompt is merged when Atelier builds a model from a .safetensors checkpoint; ${model.dir} is an ONNX folder. Pass the checkpoint's .safetensors file as --model, or take the tag out of the prompt`);
    if (args.loras.length > 0) throw new UsageError(`--lora is merged when Atelier builds a model from a .safetensors checkpoint; ${model.dir} is an ONNX folder. Pass the checkpoint's .safetensors file as --model`);
    if (args.prediction) throw new UsageError('--prediction applies to a .safetensors --model (an ONNX folder says its prediction type in scheduler/scheduler_config.json)');
    return model;
  }
  let converted: ConvertCheckpointResult | undefined;
  await workerJob(async (_backend, signal, bar, client) => {
    converted = await client.convertCheckpoint(
      { checkpoint: model.dir, loras: [...args.loras.map((l) => ({ file: path.resolve(localLoraFile(l.name)), weight: l.weight })), ...promptLoras], precision: args.provider === 'cpu' || args.provider === 'auto' ? 'fp32' : 'fp16', prediction: args.prediction, cacheRoot: convertedModelsRoot() },
      {
        signal,
        onEvent: (event) => {
          if (event.event === 'progress') bar.update(event);
          else if (event.event === 'warning') process.stderr.write(`atelier: ${event.payload.message}\n`);
        },
      },
    );
    bar.done();
    const c = converted;
    const loras = c.loras.map((l) => `${path.basename(l.file)}:${l.weight} (${l.modules} layers, hash ${l.shortHash})`).join(', ');
    return { file: '', summary: `${c.reused ? 'using the cached conversion' : 'converted'} ${path.basename(model.dir)} (${c.family.toUpperCase()}${c.inpainting ? ' inpainting' : ''}, ${c.prediction}${loras ? `, LoRA ${loras}` : ''}) → ${c.modelDir}` };
  });
  if (!converted) throw new UsageError(`${model.dir} could not be converted`);
  const suffix = converted.loras.map((l) => ` + ${path.basename(l.file, '.safetensors')}:${l.weight}`).join('');
  return { dir: converted.modelDir, name: `${model.name}${suffix}`, loras: converted.loras.map((l) => ({ name: path.basename(l.file, path.extname(l.file)), shortHash: l.shortHash })) };
}

async function generateOn(args: GenerateArgs, prompt: string, seed: number, output: OutputTarget, comfy: ComfyBackend | undefined): Promise<number> {
  if (comfy && args.prediction) throw new UsageError('--prediction applies to a local .safetensors --model, not to a ComfyUI server');
  const promptLoras = await loraTagsOf(args, prompt, comfy !== undefined);
  const model = comfy ? await comfyModel(args, comfy) : await localModel(args, promptLoras.files);
  const envRoots = (process.env.ATELIER_CONTROLNETS ?? '').split(path.delimiter).filter((r) => r !== '');
  const settings: JobSettings = {
    negativePrompt: args.negative,
    sampler: args.sampler,
    steps: args.steps,
    guidanceScale: args.guidance,
    seed,
    width: args.width,
    height: args.height,
    executionProvider: args.provider,
    workingResolution: args.fullSize ? 'full' : 'model',
    controlNetRoots: [...args.controlNetRoots, ...envRoots].map((r) => path.resolve(r)),
    // The local worker knows the model; a ComfyUI server runs what it is given.
    ...(comfy ? {} : { modelDefaults: args.modelDefaults }),
  };
  const job = buildJob({
    modelDir: model.dir,
    prompt: promptLoras.prompt,
    settings,
    controls: await controlsFrom(args, comfy !== undefined),
    // Local LoRAs were merged into the converted model; only a server applies them per job.
    loras: comfy ? args.loras : [],
    source: await sourceFrom(args),
    output,
    labels: { initImageLabel: args.initImage ? path.basename(args.initImage) : undefined, maskLabel: args.mask ? path.basename(args.mask) : undefined, controlLabels: args.controls.map((c) => path.basename(c.file)) },
  });

  return backendJob(comfy, async (backend, signal, bar) => {
    const result = await backend.generate(job, callbacksFor((event) => bar.update(event), signal));
    bar.done();
    // The metadata keeps the prompt as written, <lora:…> tags included (A1111 does the same).
    const file = await saveGenerated({ ...job.request, prompt }, result, job.output, { writeMetadata: args.metadata, modelName: model.name, loras: model.loras, ...job.labels });
    const recipe = args.recipe ? await cliRecipe(args, job, file, model.dir, comfy !== undefined, result.modelDefaults) : undefined;
    const where = result.server ? `${result.server.checkpoint} on ${result.modelFamily}` : `${result.modelFamily} on ${result.executionProvider}`;
    const data = { width: result.width, height: result.height, seed: result.seed, steps: result.steps, sampler: result.sampler, provider: result.executionProvider, model: model.name, modelFamily: result.modelFamily, seconds: Number((result.timings.totalMs / 1000).toFixed(2)), warnings: result.warnings, ...(recipe ? { recipe } : {}) };
    return { file, summary: `${result.width}×${result.height}, ${result.steps} steps (${result.sampler}), seed ${result.seed}, ${where}, ${(result.timings.totalMs / 1000).toFixed(1)} s${recipe ? `; recipe ${path.basename(recipe)}` : ''}`, data };
  }, args.json);
}

/**
 * `<lora:name:weight>` tags taken out of the prompt, each found in --lora-dir / $ATELIER_LORA_DIRS; malformed
 * tags stay as text with a warning. A ComfyUI server is refused (its LoRAs go through --lora).
 */
async function loraTagsOf(args: GenerateArgs, prompt: string, onServer: boolean): Promise<{ prompt: string; files: { file: string; weight: number }[] }> {
  const tags = extractLoraTags(prompt);
  tags.warnings.forEach((w) => process.stderr.write(`atelier: ${w}\n`));
  if (tags.loras.length === 0) return { prompt: tags.prompt, files: [] };
  if (onServer) throw new UsageError(`<lora:…> in the prompt is for a local .safetensors --model; with --comfyui, pass the server's LoRA as --lora <name>[:weight] (found ${tags.loras.map((l) => `<lora:${l.name}>`).join(', ')})`);
  const roots = [...args.loraDirs, ...(process.env.ATELIER_LORA_DIRS ?? '').split(path.delimiter).filter((r) => r !== '')];
  let files: Map<string, string>;
  try {
    files = await resolveLoraNames(tags.loras.map((l) => l.name), roots, 'pass --lora-dir <folder> or set $ATELIER_LORA_DIRS');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { prompt: tags.prompt, files: tags.loras.map((l) => ({ file: files.get(l.name) ?? l.name, weight: l.weight })) };
}

/** What --init-image, --mask and --outpaint ask for (txt2img without an image). */
async function sourceFrom(args: GenerateArgs): Promise<JobSource> {
  if (!args.initImage) return { kind: 'txt2img' };
  const initImage = (await readImageInput('--init-image', args.initImage)).bytes;
  if (args.outpaint) return { kind: 'outpaint', initImage, strength: args.strength, extend: args.outpaint, fill: args.outpaintFill, maskBlur: args.maskBlur };
  if (args.mask) return { kind: 'inpaint', initImage, strength: args.strength, mask: (await readImageInput('--mask', args.mask)).bytes, maskBlur: args.maskBlur, onlyMasked: args.onlyMasked };
  return { kind: 'img2img', initImage, strength: args.strength };
}

/**
 * Runs one job on a fresh worker with a progress bar; Ctrl-C cancels it (a second Ctrl-C forces the
 * exit). Prints the saved file on stdout and the summary on stderr.
 */
/** What a finished job prints: the file (stdout), the summary (stderr), or with --json one object on stdout. */
interface JobDone {
  readonly file: string;
  readonly summary: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

type JobRun = (backend: Backend, signal: AbortSignal, bar: ProgressBar, client: WorkerSupervisor) => Promise<JobDone>;

async function workerJob(run: JobRun, json = false): Promise<number> {
  return backendJob(undefined, run, json);
}

/** As workerJob, on the ComfyUI backend when one is given (Ctrl-C then interrupts the job on the server). */
async function backendJob(comfy: Backend | undefined, run: JobRun, json = false): Promise<number> {
  const client = supervisor();
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write('\natelier: cancelling… (Ctrl-C again to force)\n');
      abort.abort();
    } else {
      void client.dispose().finally(() => process.exit(130));
    }
  };
  process.on('SIGINT', onSigint);
  const bar = new ProgressBar();
  try {
    const { file, summary, data } = await run(comfy ?? new OnnxBackend({ client: () => client, cacheRoot: hubEnvironment().cacheRoot }), abort.signal, bar, client);
    process.stderr.write(`atelier: ${summary}\n`);
    // A step before the job (a conversion) has no file to print.
    if (json && file) process.stdout.write(`${JSON.stringify({ file, ...data })}\n`);
    else if (file) process.stdout.write(`${file}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    bar.clearLine();
    await client.dispose();
  }
}

/** `atelier upscale <file> --comfyui <url> --model <name>`: the server's model sets the scale, so the name follows the result. */
async function upscaleOnComfy(args: UpscaleArgs, comfyArgs: NonNullable<UpscaleArgs['comfy']>): Promise<number> {
  const { bytes: image } = await readImageInput('the image', args.file);
  const source = path.resolve(args.file);
  const url = comfyUrl(comfyArgs.url);
  if (!url) throw new UsageError('upscale with a server model needs --comfyui <url> (or $ATELIER_COMFYUI_URL)');
  // Checked before any work; the default name waits for the scale.
  const fallback = upscaleTarget(source, 0);
  const checked = await outputTarget(args.out, fallback);
  const backend = comfyBackend(url);
  try {
    return await backendJob(backend, async (_backend, signal, bar) => {
      const result = await backend.upscaleWith(comfyArgs.model, image, path.basename(source), callbacksFor((event) => bar.update(event), signal));
      bar.done();
      const target = args.out === undefined ? upscaleTarget(source, Number.isInteger(result.scale) ? result.scale : Number(result.scale.toFixed(2))) : checked;
      const bytes = await upscaledBytes(image, { png: result.png, width: result.width, height: result.height, scale: result.scale, upscaler: result.model, source: result.backend }, target.ext, args.metadata);
      const file = await saveNewFile(target.dir, target.stem, target.ext, bytes);
      return { file, summary: `${result.model} → ${result.width}×${result.height} on ${result.server}, ${(result.totalMs / 1000).toFixed(1)} s`, data: { width: result.width, height: result.height, scale: result.scale, upscaler: result.model, provider: 'comfyui', seconds: Number((result.totalMs / 1000).toFixed(2)) } };
    }, args.json);
  } finally {
    backend.close();
  }
}

async function upscale(args: UpscaleArgs): Promise<number> {
  if (args.comfy) return upscaleOnComfy(args, args.comfy);
  const { bytes: image, info } = await readImageInput('the image', args.file);
  const target = await outputTarget(args.out, upscaleTarget(path.resolve(args.file), args.scale));
  if (info.hasAlpha && /^\.jpe?g$/i.test(target.ext)) throw new UsageError(`${path.basename(args.file)} has transparency, which JPEG cannot hold; name a .png or .webp --out`);
  return workerJob(async (backend, signal, bar) => {
    const result = await backend.upscale({ image, scale: args.scale, model: args.model, executionProvider: args.provider }, callbacksFor((event) => bar.update(event), signal));
    bar.done();
    const file = await saveUpscaled(image, result, target, { writeMetadata: args.metadata });
    const data = { width: result.width, height: result.height, scale: result.scale, upscaler: result.upscaler, tiles: result.tiles, provider: result.executionProvider, seconds: Number((result.timings.totalMs / 1000).toFixed(2)) };
    return { file, summary: `${result.upscaler} → ${result.width}×${result.height} in ${result.tiles} tile${result.tiles === 1 ? '' : 's'} on ${result.executionProvider}, ${(result.timings.totalMs / 1000).toFixed(1)} s`, data };
  }, args.json);
}

/** `atelier detect pose|person`: the canvas's layer file for the image, written as a new file. */
async function detect(args: DetectArgs): Promise<number> {
  const bytes = await readInput('the image', args.file);
  let image: Awaited<ReturnType<typeof decodeRgba>>;
  try {
    image = await decodeRgba(bytes, path.basename(args.file), (notice) => process.stderr.write(`warning: ${notice}\n`));
  } catch (error) {
    if (error instanceof ImageReadError) throw new PipelineError('INVALID_INPUT', error.message, { argument: 'image' });
    throw error;
  }
  const request = { width: image.width, height: image.height, rgba: image.data, executionProvider: args.provider };
  const source = path.resolve(args.file);
  const stem = path.basename(source, path.extname(source));
  const kind: OutputKind = args.what === 'pose' ? { extensions: ['.json'], describe: 'a .json file' } : { extensions: ['.png'], describe: 'a .png file' };
  const target = await outputTarget(args.out, { dir: path.dirname(source), stem, ext: args.what === 'pose' ? '.pose.json' : '.mask.png' }, kind);
  const client = supervisor();
  try {
    let output: Uint8Array;
    let summary: string;
    if (args.what === 'pose') {
      const result = await client.detectPose(request);
      if (result.people.length === 0) throw new PipelineError('INVALID_INPUT', `no person found in ${path.basename(source)}; nothing was written`, { argument: 'file' });
      output = new TextEncoder().encode(toOpenPoseJson({ width: image.width, height: image.height, people: result.people.map((p) => p.person) }));
      const hidden = result.people.reduce((n, p) => n + p.person.keypoints.filter((k) => !k.visible).length, 0);
      summary = `${result.people.length} ${result.people.length === 1 ? 'person' : 'people'} (${hidden} unsure joints hidden), ${result.detector}, ${result.timings.totalMs.toFixed(0)} ms on ${result.executionProvider}`;
    } else {
      const result = await client.segmentPerson(request);
      if (!result.mask) throw new PipelineError('INVALID_INPUT', `no person found in ${path.basename(source)}; nothing was written`, { argument: 'file' });
      output = await encodePng(result.mask, image, 1);
      summary = `person mask covering ${(result.coverage * 100).toFixed(1)} %, ${result.detector}, ${result.timings.totalMs.toFixed(0)} ms on ${result.executionProvider}`;
    }
    const file = await saveNewFile(target.dir, target.stem, target.ext, output);
    process.stderr.write(`atelier: ${summary}\n`);
    process.stdout.write(`${file}\n`);
    return 0;
  } finally {
    await client.dispose();
  }
}

async function tokenize(args: TokenizeArgs): Promise<number> {
  const client = supervisor();
  try {
    const result = await client.tokenize({ tokenizerDir: path.resolve(args.tokenizer), text: args.text });
    const { ids, weights, chunks, count, max } = result;
    process.stdout.write(`${JSON.stringify({ ids, weights, chunks, count, max })}\n`);
    return 0;
  } finally {
    await client.dispose();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    const args = parseCli(argv);
    if (args.command === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (args.command === 'models') return await modelsCommand(args.args);
    if (args.command === 'upscale') return await upscale(args);
    if (args.command === 'detect') return await detect(args);
    if (args.command === 'build') return await buildCommand(args, supervisor);
    return args.command === 'generate' ? await generate(args) : await tokenize(args);
  } catch (error) {
    const json = argv.includes('--json');
    if (error instanceof UsageError) {
      if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', message: error.message } })}\n`);
      // The message names the argument and the fix; the full usage would bury it (atelier --help prints it).
      process.stderr.write(`atelier: ${error.message}\n(atelier --help lists every command and option)\n`);
      return 2;
    }
    const info = toErrorInfo(error);
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: info.code, message: describeForUser(info, 'cli').message, ...(info.argument ? { argument: info.argument } : {}) } })}\n`);
    process.stderr.write(`atelier: ${describeForUser(info, 'cli').message}\n`);
    if (info.detail && process.env.ATELIER_DEBUG) process.stderr.write(`${info.detail}\n`);
    return error instanceof PipelineError && error.code === 'CANCELLED' ? 130 : 1;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
