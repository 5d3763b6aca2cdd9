import { parseSchedulerConfig } from '../../../src/pipeline/schedulers/config';
import type { SchedulerConfig } from '../../../src/pipeline/schedulers/types';

/** SD 1.x/2.x scheduler_config.json as the Hub ships it, with overrides. */
export function sdSchedulerConfig(overrides: Record<string, unknown> = {}): SchedulerConfig {
  return parseSchedulerConfig({
    _class_name: 'PNDMScheduler',
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    num_train_timesteps: 1000,
    steps_offset: 1,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    ...overrides,
  });
}

export function expectClose(actual: readonly number[], expected: readonly number[], tol: number): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  actual.forEach((a, i) => {
    if (!(Math.abs(a - expected[i]) <= tol)) throw new Error(`index ${i}: ${a} ≠ ${expected[i]} (tol ${tol})`);
  });
}
