/** The one place a random seed is drawn: every front end (CLI, palette, panel, canvas) comes here. */
import { randomInt } from 'node:crypto';
import { PipelineError } from '../../shared/errors';
import { MAX_SEED } from '../../shared/request';

/** A fresh unsigned 32-bit seed (A1111's range). */
export const randomSeed = (): number => randomInt(0, MAX_SEED + 1);

/**
 * The seed a job runs with: the setting itself when it is 0…MAX_SEED, a new random one for −1 (or
 * unset). Anything else is refused naming the field, never clamped.
 */
export function drawSeed(setting: number | undefined, random: () => number = randomSeed): number {
  if (setting === undefined || setting === -1) return random();
  if (!Number.isInteger(setting) || setting < -1 || setting > MAX_SEED) {
    throw new PipelineError('INVALID_INPUT', `seed must be a whole number from 0 to ${MAX_SEED}, got ${String(setting)} (or −1 for a new random seed each time)`, { argument: 'seed' });
  }
  return setting;
}
