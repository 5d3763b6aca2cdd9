/**
 * The one job builder (like krita-ai-diffusion's `prepare`): settings + what the user chose in the
 * CLI, the palette, the panel or the canvas → one `GenerationJob`, checked before any work starts.
 */
import { checkRequest } from '../../shared/checkRequest';
import { PipelineError } from '../../shared/errors';
import type { ControlInput, ExecutionProviderPreference, GenerationRequest, InpaintRequest, OutpaintRequest, WorkingResolution } from '../../shared/request';
import type { PanelSettings } from '../../shared/protocol/panel';
import type { GenerationJob, JobFiles, JobLabels, LoraChoice } from './job';
import type { ModelDefaultable } from '../../shared/samplingDefaults';
import { drawSeed, randomSeed } from './seed';
import { defaultStem } from './stem';

/** The generation settings a job reads (VS Code's `atelier.*`, or the CLI's options): the panel's values plus where and how it runs. */
export interface JobSettings extends PanelSettings {
  readonly executionProvider: ExecutionProviderPreference;
  readonly workingResolution: WorkingResolution;
  /** Folders searched for ControlNets by type. */
  readonly controlNetRoots: readonly string[];
  /** The sampling fields the user did not set: a Turbo or LCM model may replace them with its own defaults. */
  readonly modelDefaults?: readonly ModelDefaultable[];
}

/** What the job starts from: nothing (txt2img), or an image with its mask or outpaint sides. */
export type JobSource =
  | { readonly kind: 'txt2img' }
  | { readonly kind: 'img2img'; readonly initImage: Uint8Array; readonly strength: number }
  | ({ readonly kind: 'inpaint'; readonly initImage: Uint8Array; readonly strength: number } & Pick<InpaintRequest, 'mask' | 'maskBlur' | 'onlyMasked'>)
  | ({ readonly kind: 'outpaint'; readonly initImage: Uint8Array; readonly strength: number } & Pick<OutpaintRequest, 'extend' | 'fill' | 'maskBlur'>);

export interface JobInput {
  readonly modelDir: string;
  readonly prompt: string;
  readonly settings: JobSettings;
  readonly source: JobSource;
  readonly controls?: readonly ControlInput[];
  readonly loras?: readonly LoraChoice[];
  /** A latent preview every N steps; 0 (default) sends none. */
  readonly previewEvery?: number;
  /** Where the result goes; without a stem, the default name is derived from the drawn seed. */
  readonly output: { readonly dir: string; readonly stem?: string; readonly ext?: string };
  /** Name the result after this source image (its name without extension) and a verb (default: from the kind), rather than the prompt. */
  readonly nameAfter?: { readonly source: string; readonly verb?: string };
  readonly labels?: JobLabels;
  /** The files the inputs came from, for the recipe. */
  readonly files?: JobFiles;
}

function checkLoras(loras: readonly LoraChoice[]): void {
  loras.forEach((lora, i) => {
    if (typeof lora.name !== 'string' || lora.name.trim() === '') throw new PipelineError('INVALID_INPUT', `LoRA ${i + 1} must be named, got ${JSON.stringify(lora.name)}`, { argument: 'loras' });
    if (typeof lora.weight !== 'number' || !Number.isFinite(lora.weight)) throw new PipelineError('INVALID_INPUT', `LoRA ${lora.name}: the weight must be a number (1 is full strength), got ${String(lora.weight)}`, { argument: 'loras' });
  });
}

export function buildJob(input: JobInput, random: () => number = randomSeed): GenerationJob {
  const { settings, source } = input;
  // 1. The seed is drawn here, once: the request, the file name and the metadata all carry this one.
  const seed = drawSeed(settings.seed, random);

  // 2. The request any backend runs.
  const base = {
    modelDir: input.modelDir,
    prompt: input.prompt,
    negativePrompt: settings.negativePrompt,
    sampling: { sampler: settings.sampler, steps: settings.steps, guidanceScale: settings.guidanceScale, seed },
    ...(settings.modelDefaults && settings.modelDefaults.length > 0 ? { modelDefaults: [...settings.modelDefaults] } : {}),
    previewEvery: input.previewEvery ?? 0,
    executionProvider: settings.executionProvider,
    ...(input.controls && input.controls.length > 0 ? { controls: [...input.controls] } : {}),
    ...(settings.controlNetRoots.length > 0 ? { controlNetRoots: [...settings.controlNetRoots] } : {}),
  };
  const request: GenerationRequest =
    source.kind === 'txt2img' ? { ...base, kind: 'txt2img', width: settings.width, height: settings.height } : { ...base, ...source, workingResolution: settings.workingResolution };

  // 3. Checked now, with the worker's own rules, before an image is uploaded or a model loaded; errors name the field.
  checkRequest(request);
  const loras = input.loras ?? [];
  checkLoras(loras);

  // 4. Where it is saved.
  const stem = input.output.stem ?? defaultStem(input.prompt, seed, input.nameAfter && { ...input.nameAfter, kind: request.kind });
  return { request, loras, output: { dir: input.output.dir, stem, ...(input.output.ext ? { ext: input.output.ext } : {}) }, labels: input.labels ?? {}, ...(input.files ? { files: input.files } : {}) };
}
