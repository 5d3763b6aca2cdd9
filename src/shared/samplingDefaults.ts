/**
 * Few-step defaults chosen by the model. When the user left steps, guidance or the sampler at the
 * settings' defaults, a distilled model gets its own: SD-Turbo/SDXL-Turbo 1 step without CFG on Euler
 * ancestral (Stability's model card: 1 step, guidance 0), LCM 4 steps on the LCM sampler. Explicit values win.
 */
import type { GenerationRequest, ResolvedSamplerName, SamplingOptions } from './request';

/** The sampling fields a request may leave to the model (the user did not set them). */
export const MODEL_DEFAULTABLE = ['sampler', 'steps', 'guidanceScale'] as const;
export type ModelDefaultable = (typeof MODEL_DEFAULTABLE)[number];

/** What the worker knows about a model at load time that decides its defaults. */
export interface ModelSamplingTraits {
  /** model_index.json `_class_name`. */
  readonly pipelineClass: string;
  /** scheduler_config.json `_class_name`. */
  readonly schedulerClass: string;
  /** Names the model goes by: the folder's name and model_index.json `_name_or_path` (the converted checkpoint's name). */
  readonly names: readonly string[];
  /** The UNet takes `timestep_cond` (LCM-distilled guidance embedding). */
  readonly timestepCond: boolean;
}

export interface ModelSamplingDefaults {
  readonly kind: 'turbo' | 'lcm';
  readonly sampler: ResolvedSamplerName;
  readonly steps: number;
  readonly guidanceScale: number;
}

/**
 * LCM-Dreamshaper's (diffusers `LatentConsistencyModelPipeline`) default: with `timestep_cond` the scale
 * only feeds the guidance embedding (w = g − 1), one UNet pass per step either way.
 */
export const LCM_EMBEDDED_GUIDANCE = 8.5;
export const LCM_STEPS = 4;
export const TURBO_STEPS = 1;

/** "turbo" as a word in a name (sd-turbo, sd_xl_turbo_1.0_fp16, SDXL-Turbo), not inside another word. */
const TURBO_NAME = /(^|[^a-z])turbo([^a-z]|$)/i;

/**
 * Trusted signals: LCM from the scheduler class (LCMScheduler), the pipeline class (LatentConsistency…) or a
 * `timestep_cond` UNet input; Turbo only from a name (the folder, or `_name_or_path`): its configs are plain
 * SD 2.1/SDXL ones (trailing spacing alone also fits fine-tunes), so nothing else tells it apart.
 * Undefined: the model keeps the settings' defaults.
 */
export function samplingDefaultsFor(traits: ModelSamplingTraits): ModelSamplingDefaults | undefined {
  const lcm = traits.timestepCond || traits.schedulerClass === 'LCMScheduler' || traits.pipelineClass.includes('LatentConsistency');
  if (lcm) return { kind: 'lcm', sampler: 'lcm', steps: LCM_STEPS, guidanceScale: traits.timestepCond ? LCM_EMBEDDED_GUIDANCE : 1 };
  if (traits.names.some((name) => TURBO_NAME.test(name))) return { kind: 'turbo', sampler: 'euler-a', steps: TURBO_STEPS, guidanceScale: 0 };
  return undefined;
}

/** Steps so that at least one runs from an image: strength × steps ≥ 1 (diffusers' rule), never above the LCM/Turbo 4. */
function stepsFor(defaults: ModelSamplingDefaults, strength: number | undefined): number {
  if (strength === undefined || strength <= 0) return defaults.steps;
  return Math.max(defaults.steps, Math.min(4, Math.ceil(1 / strength - 1e-9)));
}

/** The sampling values the model's defaults replaced (recorded in recipes, so a replay runs what ran). */
export type AppliedModelDefaults = Partial<Pick<SamplingOptions, ModelDefaultable>>;

/** The request with the model's defaults in the fields the user left to it, and the notice that says so (undefined: unchanged). */
export function applyModelDefaults<R extends GenerationRequest>(request: R, traits: ModelSamplingTraits): { readonly request: R; readonly notice?: string; readonly applied?: AppliedModelDefaults } {
  const open = new Set(request.modelDefaults ?? []);
  const defaults = samplingDefaultsFor(traits);
  if (!defaults || open.size === 0) return { request };
  const strength = request.kind === 'txt2img' ? undefined : request.strength;
  const sampling: SamplingOptions = {
    ...request.sampling,
    ...(open.has('sampler') ? { sampler: defaults.sampler } : {}),
    ...(open.has('steps') ? { steps: stepsFor(defaults, strength) } : {}),
    ...(open.has('guidanceScale') ? { guidanceScale: defaults.guidanceScale } : {}),
  };
  const applied = MODEL_DEFAULTABLE.filter((f) => open.has(f) && sampling[f] !== request.sampling[f]);
  if (applied.length === 0) return { request };
  const what = applied.map((f) => (f === 'sampler' ? `sampler ${sampling.sampler}` : f === 'steps' ? `${sampling.steps} step${sampling.steps === 1 ? '' : 's'}` : `guidance ${sampling.guidanceScale}`));
  const name = defaults.kind === 'turbo' ? 'a Turbo (few-step) model' : 'an LCM model';
  return {
    request: { ...request, sampling },
    applied: Object.fromEntries(applied.map((f) => [f, sampling[f]])) as AppliedModelDefaults,
    notice: `${what.join(', ')}: the defaults for ${name}; set steps, guidance or sampler to choose your own`,
  };
}

/** The parts of VS Code's `WorkspaceConfiguration.inspect()` result that say a user set a value. */
export interface InspectedSetting {
  readonly globalValue?: unknown;
  readonly workspaceValue?: unknown;
  readonly workspaceFolderValue?: unknown;
  readonly globalLanguageValue?: unknown;
  readonly workspaceLanguageValue?: unknown;
  readonly workspaceFolderLanguageValue?: unknown;
}

/** True when a user or workspace set the value, even to the default's own value (that is a choice too). */
export function userSetSetting(inspected: InspectedSetting | undefined): boolean {
  if (!inspected) return false;
  return [inspected.globalValue, inspected.workspaceValue, inspected.workspaceFolderValue, inspected.globalLanguageValue, inspected.workspaceLanguageValue, inspected.workspaceFolderLanguageValue].some((v) => v !== undefined);
}
