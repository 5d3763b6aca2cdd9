/**
 * One line that says what a generation will use, shown wherever the user generates (the palette's
 * prompt box, the canvas sidebar), so the shared settings are never a surprise. Pure.
 */
import path from 'node:path';
import { SAMPLER_LABELS } from '../../shared/samplerLabels';
import type { SamplerName } from '../../shared/request';

export interface SummaryValues {
  readonly sampler: SamplerName;
  readonly steps: number;
  readonly guidanceScale: number;
  /** −1: a new random seed each time. */
  readonly seed: number;
}

/** A readable name for a model folder: `org/name` for a Hugging Face cache snapshot, else the folder name. */
export function modelLabel(dir: string, demo = false): string {
  if (demo) return 'demo model';
  const cached = /models--([^\\/]+?)--([^\\/]+)[\\/]snapshots[\\/]/.exec(dir);
  return cached ? `${cached[1]}/${cached[2]}` : path.basename(dir);
}

/** "sd15 · 20 steps · Euler · guidance 7.5 · random seed" (with "512×512" when a size is given). */
export function generationSummary(values: SummaryValues, model: string | undefined, size?: { width: number; height: number }): string {
  return [
    model ?? 'no model chosen',
    size ? `${size.width}×${size.height}` : undefined,
    `${values.steps} step${values.steps === 1 ? '' : 's'}`,
    SAMPLER_LABELS[values.sampler],
    `guidance ${values.guidanceScale}`,
    values.seed >= 0 ? `seed ${values.seed}` : 'random seed',
  ]
    .filter((part): part is string => part !== undefined)
    .join(' · ');
}
