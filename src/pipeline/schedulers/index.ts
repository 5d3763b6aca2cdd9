/** Builds a scheduler by name from a model's scheduler config. */
import type { SamplerName } from '../../shared/request';
import { DdimScheduler } from './ddim';
import { DpmSolverMultistepScheduler } from './dpmSolverMultistep';
import { EulerScheduler } from './euler';
import { EulerAncestralScheduler } from './eulerAncestral';
import { LcmScheduler } from './lcm';
import { PndmScheduler } from './pndm';
import type { ResolvedSampler, Scheduler, SchedulerConfig } from './types';

export { parseSchedulerConfig } from './config';
export type { ResolvedSampler, Scheduler, SchedulerConfig } from './types';

const BY_CLASS: Readonly<Record<string, (config: SchedulerConfig) => ResolvedSampler>> = {
  EulerDiscreteScheduler: () => 'euler',
  EulerAncestralDiscreteScheduler: () => 'euler-a',
  DDIMScheduler: () => 'ddim',
  PNDMScheduler: () => 'pndm',
  LCMScheduler: () => 'lcm',
  DPMSolverMultistepScheduler: (c) => (c.useKarrasSigmas ? 'dpmpp-2m-karras' : 'dpmpp-2m'),
};

/** True for the scheduler classes Atelier implements (others run as Euler, with a warning). */
export function isKnownSchedulerClass(className: string): boolean {
  return Object.prototype.hasOwnProperty.call(BY_CLASS, className);
}

/** The sampler a model ships with (its scheduler_config `_class_name`); Euler for unknown classes. */
export function modelDefaultSampler(config: SchedulerConfig): ResolvedSampler {
  return BY_CLASS[config.className]?.(config) ?? 'euler';
}

export function resolveSampler(name: SamplerName, config: SchedulerConfig): ResolvedSampler {
  return name === 'model-default' ? modelDefaultSampler(config) : name;
}

export function createScheduler(name: ResolvedSampler, config: SchedulerConfig): Scheduler {
  switch (name) {
    case 'euler':
      return new EulerScheduler(config);
    case 'euler-a':
      return new EulerAncestralScheduler(config);
    case 'ddim':
      return new DdimScheduler(config);
    case 'pndm':
      return new PndmScheduler(config);
    case 'lcm':
      return new LcmScheduler(config);
    case 'dpmpp-2m':
      return new DpmSolverMultistepScheduler(config, false);
    case 'dpmpp-2m-karras':
      return new DpmSolverMultistepScheduler(config, true);
  }
}
