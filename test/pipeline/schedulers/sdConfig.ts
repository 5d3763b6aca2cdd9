import { parseSchedulerConfig } from '../../../src/pipeline/schedulers/config';
import type { SchedulerConfig } from '../../../src/pipeline/schedulers/types';
import { SD_HUB_SCHEDULER } from '../../fixtures/onnx/modelFolder';

/** SD 1.x/2.x scheduler_config.json as the Hub ships it, with overrides. */
export function sdSchedulerConfig(overrides: Record<string, unknown> = {}): SchedulerConfig {
  return parseSchedulerConfig({ ...SD_HUB_SCHEDULER, ...overrides });
}

export function expectClose(actual: readonly number[], expected: readonly number[], tol: number): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  actual.forEach((a, i) => {
    if (!(Math.abs(a - expected[i]) <= tol)) throw new Error(`index ${i}: ${a} ≠ ${expected[i]} (tol ${tol})`);
  });
}
