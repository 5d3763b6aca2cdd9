/**
 * Atelier's sampler names ↔ ComfyUI's KSampler (sampler_name, scheduler) pairs. ComfyUI splits the
 * algorithm from the sigma schedule (comfy/samplers.py KSAMPLER_NAMES / SCHEDULER_HANDLERS); Atelier's
 * names carry both. One table, read both ways.
 */
import { PipelineError } from '../../shared/errors';
import { SAMPLER_NAMES, type ResolvedSamplerName, type SamplerName } from '../../shared/request';

export interface ComfySampler {
  readonly sampler_name: string;
  readonly scheduler: string;
}

/**
 * Undefined: no ComfyUI equivalent. PNDM/PLMS is not in ComfyUI; its `ipndm` is a different method
 * (improved PNDM from the DEIS paper) and would silently give other images, so it is refused.
 */
const TABLE: Readonly<Record<ResolvedSamplerName, ComfySampler | undefined>> = {
  euler: { sampler_name: 'euler', scheduler: 'normal' },
  'euler-a': { sampler_name: 'euler_ancestral', scheduler: 'normal' },
  // ComfyUI's ddim sampler with the ddim_uniform schedule takes DDIM's evenly spaced timesteps.
  ddim: { sampler_name: 'ddim', scheduler: 'ddim_uniform' },
  'dpmpp-2m': { sampler_name: 'dpmpp_2m', scheduler: 'normal' },
  'dpmpp-2m-karras': { sampler_name: 'dpmpp_2m', scheduler: 'karras' },
  // LCM-distilled models are trained on the sgm_uniform spacing (ComfyUI's own LCM examples use it).
  lcm: { sampler_name: 'lcm', scheduler: 'sgm_uniform' },
  pndm: undefined,
};

/**
 * `model-default` means "the model's scheduler_config.json", which a server does not expose: it runs as
 * ComfyUI's default workflow does (euler + normal), and the result names euler as the sampler used.
 */
export const COMFY_MODEL_DEFAULT: ResolvedSamplerName = 'euler';

/** The Atelier samplers that have a ComfyUI equivalent. */
export const COMFY_MAPPED_SAMPLERS: readonly ResolvedSamplerName[] = SAMPLER_NAMES.filter((s): s is ResolvedSamplerName => s !== 'model-default' && TABLE[s] !== undefined);

/** What `name` runs as on ComfyUI; refuses a sampler without an equivalent, naming the ones that have one. */
export function toComfySampler(name: SamplerName): { readonly resolved: ResolvedSamplerName; readonly comfy: ComfySampler } {
  const resolved = name === 'model-default' ? COMFY_MODEL_DEFAULT : name;
  const comfy = TABLE[resolved];
  if (!comfy) {
    throw new PipelineError('INVALID_INPUT', `sampler ${name} has no ComfyUI equivalent (ComfyUI has no PNDM/PLMS; its ipndm is a different method); choose one of ${COMFY_MAPPED_SAMPLERS.join(', ')}`, { argument: 'sampler' });
  }
  return { resolved, comfy };
}

/** The Atelier name of a ComfyUI pair, if Atelier has one (for metadata and listings). */
export function fromComfySampler(samplerName: string, scheduler: string): ResolvedSamplerName | undefined {
  return COMFY_MAPPED_SAMPLERS.find((s) => TABLE[s]?.sampler_name === samplerName && TABLE[s]?.scheduler === scheduler);
}

/** Refuses a pair the server does not offer (a fork or an old server), with the server's own lists. */
export function checkSamplerOffered(name: SamplerName, comfy: ComfySampler, offered: { readonly samplers: readonly string[]; readonly schedulers: readonly string[] }, host: string): void {
  if (!offered.samplers.includes(comfy.sampler_name)) {
    throw new PipelineError('INVALID_INPUT', `sampler ${name} needs ComfyUI's ${comfy.sampler_name}, which the server at ${host} does not offer (it has ${offered.samplers.join(', ')})`, { argument: 'sampler' });
  }
  if (!offered.schedulers.includes(comfy.scheduler)) {
    throw new PipelineError('INVALID_INPUT', `sampler ${name} needs ComfyUI's ${comfy.scheduler} scheduler, which the server at ${host} does not offer (it has ${offered.schedulers.join(', ')})`, { argument: 'sampler' });
  }
}

/** The Atelier samplers a server can run (for the picker and `models list --comfyui`). */
export function offeredSamplers(offered: { readonly samplers: readonly string[]; readonly schedulers: readonly string[] }): ResolvedSamplerName[] {
  return COMFY_MAPPED_SAMPLERS.filter((s) => {
    const c = TABLE[s];
    return c !== undefined && offered.samplers.includes(c.sampler_name) && offered.schedulers.includes(c.scheduler);
  });
}
