/** Reads scheduler/scheduler_config.json into a validated SchedulerConfig. */
import type { BetaSchedule, DpmAlgorithmType, DpmSolverType, FinalSigmasType, PredictionType, SchedulerConfig, TimestepSpacing } from './types';

const BETA_SCHEDULES: readonly BetaSchedule[] = ['scaled_linear', 'linear', 'squaredcos_cap_v2'];
const PREDICTION_TYPES: readonly PredictionType[] = ['epsilon', 'v_prediction', 'sample'];
const SPACINGS: readonly TimestepSpacing[] = ['leading', 'trailing', 'linspace'];
const FINAL_SIGMAS: readonly FinalSigmasType[] = ['zero', 'sigma_min'];
const SOLVER_TYPES: readonly DpmSolverType[] = ['midpoint', 'heun'];
const ALGORITHMS: readonly DpmAlgorithmType[] = ['dpmsolver++', 'dpmsolver', 'sde-dpmsolver++', 'sde-dpmsolver'];

function pick<T extends string>(json: Record<string, unknown>, key: string, allowed: readonly T[], fallback: T): T;
function pick<T extends string>(json: Record<string, unknown>, key: string, allowed: readonly T[]): T | undefined;
function pick<T extends string>(json: Record<string, unknown>, key: string, allowed: readonly T[], fallback?: T): T | undefined {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`scheduler_config.json: ${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
}

function num(json: Record<string, unknown>, key: string, fallback: number, check: (v: number) => boolean, rule: string): number {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) {
    throw new Error(`scheduler_config.json: ${key} must be ${rule}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function bool(json: Record<string, unknown>, key: string, fallback: boolean): boolean;
function bool(json: Record<string, unknown>, key: string): boolean | undefined;
function bool(json: Record<string, unknown>, key: string, fallback?: boolean): boolean | undefined {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new Error(`scheduler_config.json: ${key} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Reads the keys as diffusers' `from_config` does: a key the file omits takes the class default of the
 * scheduler that runs, so keys whose default differs per class (set_alpha_to_one, clip_sample,
 * final_sigmas_type) stay undefined here and each scheduler fills in its own. Noise-schedule defaults are
 * the SD family's. Class defaults follow diffusers v0.21.4 (the reference harness) unless a scheduler says
 * otherwise; DPM-Solver's final_sigmas_type "zero" follows ≥ 0.26.
 */
export function parseSchedulerConfig(json: unknown): SchedulerConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error('scheduler_config.json must hold a JSON object');
  }
  const j = json as Record<string, unknown>;
  const className = typeof j._class_name === 'string' ? j._class_name : 'PNDMScheduler';
  const numTrainTimesteps = num(j, 'num_train_timesteps', 1000, (v) => Number.isInteger(v) && v >= 2 && v <= 100_000, 'an integer ≥ 2');
  const betaStart = num(j, 'beta_start', 0.00085, (v) => v > 0 && v < 1, 'in (0, 1)');
  const betaEnd = num(j, 'beta_end', 0.012, (v) => v > 0 && v < 1, 'in (0, 1)');
  if (betaEnd <= betaStart) throw new Error(`scheduler_config.json: beta_end (${betaEnd}) must be greater than beta_start (${betaStart}); the noise schedule would run backwards`);
  if (Array.isArray(j.trained_betas)) throw new Error('scheduler_config.json: trained_betas is not supported; use a beta_schedule');
  return {
    className,
    numTrainTimesteps,
    betaStart,
    betaEnd,
    betaSchedule: pick(j, 'beta_schedule', BETA_SCHEDULES, 'scaled_linear'),
    predictionType: pick(j, 'prediction_type', PREDICTION_TYPES, 'epsilon'),
    timestepSpacing: pick(j, 'timestep_spacing', SPACINGS),
    stepsOffset: num(j, 'steps_offset', 0, (v) => Number.isInteger(v) && v >= 0 && v < numTrainTimesteps, 'a small non-negative integer'),
    setAlphaToOne: bool(j, 'set_alpha_to_one'),
    clipSample: bool(j, 'clip_sample'),
    clipSampleRange: num(j, 'clip_sample_range', 1, (v) => v > 0, 'positive'),
    thresholding: bool(j, 'thresholding', false),
    dynamicThresholdingRatio: num(j, 'dynamic_thresholding_ratio', 0.995, (v) => v > 0 && v <= 1, 'in (0, 1]'),
    sampleMaxValue: num(j, 'sample_max_value', 1, (v) => v > 0, 'positive'),
    finalSigmasType: pick(j, 'final_sigmas_type', FINAL_SIGMAS),
    lowerOrderFinal: bool(j, 'lower_order_final', true),
    eulerAtFinal: bool(j, 'euler_at_final', false),
    solverOrder: num(j, 'solver_order', 2, (v) => v === 1 || v === 2 || v === 3, '1, 2 or 3'),
    solverType: pick(j, 'solver_type', SOLVER_TYPES, 'midpoint'),
    algorithmType: pick(j, 'algorithm_type', ALGORITHMS, 'dpmsolver++'),
    useKarrasSigmas: bool(j, 'use_karras_sigmas', false),
    originalInferenceSteps: num(j, 'original_inference_steps', 50, (v) => Number.isInteger(v) && v >= 1 && v <= numTrainTimesteps, 'an integer ≥ 1'),
    timestepScaling: num(j, 'timestep_scaling', 10, (v) => v > 0, 'positive'),
  };
}
