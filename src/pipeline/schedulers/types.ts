/** Scheduler interface, shaped like diffusers' but with explicit step indices instead of timestep lookups. */

export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';
export type BetaSchedule = 'scaled_linear' | 'linear' | 'squaredcos_cap_v2';
export type FinalSigmasType = 'zero' | 'sigma_min';
export type DpmSolverType = 'midpoint' | 'heun';
export type DpmAlgorithmType = 'dpmsolver++' | 'dpmsolver' | 'sde-dpmsolver++' | 'sde-dpmsolver';
export type ResolvedSampler = 'euler' | 'euler-a' | 'ddim' | 'dpmpp-2m' | 'dpmpp-2m-karras' | 'lcm' | 'pndm';

/** scheduler_config.json, validated and mapped to camelCase once. Absent optional keys stay undefined so
 * each scheduler can apply its own class default, as diffusers does. */
export interface SchedulerConfig {
  readonly className: string;
  readonly numTrainTimesteps: number;
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly betaSchedule: BetaSchedule;
  readonly predictionType: PredictionType;
  readonly timestepSpacing?: TimestepSpacing;
  readonly stepsOffset: number;
  /** ᾱ of "the step before t = 0" is 1 (else ᾱ₀). Class default: DDIM and LCM true, PNDM false. */
  readonly setAlphaToOne?: boolean;
  /** Clamp the x₀ estimate to ±clipSampleRange. Class default: DDIM true, LCM false (the others never clip). */
  readonly clipSample?: boolean;
  readonly clipSampleRange: number;
  /** Imagen dynamic thresholding of x₀ (DDIM, LCM, DPM-Solver++); takes precedence over clipSample. */
  readonly thresholding: boolean;
  readonly dynamicThresholdingRatio: number;
  readonly sampleMaxValue: number;
  /** DPM-Solver and Euler: where the last step lands, σ = 0 or the training schedule's σ at t = 0. */
  readonly finalSigmasType?: FinalSigmasType;
  /** DPM-Solver: first-order final step for short schedules (< 15 steps). */
  readonly lowerOrderFinal: boolean;
  /** DPM-Solver: always a first-order (Euler) final step. */
  readonly eulerAtFinal: boolean;
  /** DPM-Solver: multistep order (1 or 2 run; 3 is refused). */
  readonly solverOrder: number;
  readonly solverType: DpmSolverType;
  readonly algorithmType: DpmAlgorithmType;
  readonly useKarrasSigmas: boolean;
  /** LCM: the distillation grid (50 in LCM-Dreamshaper). */
  readonly originalInferenceSteps: number;
  /** LCM: boundary-condition timestep scaling (10). */
  readonly timestepScaling: number;
}

/** Supplies standard-normal noise (ancestral and LCM steps). */
export type NoiseSource = (length: number) => Float32Array;

export interface StepOptions {
  /** Required by stochastic schedulers (Euler ancestral, LCM); ignored by the others. */
  readonly noise?: NoiseSource;
}

export interface StepResult {
  /** x_{t-1}, same shape as the sample. */
  readonly prevSample: Float32Array;
  /** The model's estimate of the clean latents at this step, when the algorithm forms one. */
  readonly predOriginalSample?: Float32Array;
}

export interface Scheduler {
  readonly name: ResolvedSampler;
  /** Standard deviation of the initial noise: latents = randn · initNoiseSigma. */
  readonly initNoiseSigma: number;
  /** Timesteps handed to the UNet, one per model call, in call order. */
  readonly timesteps: readonly number[];
  /** Builds the schedule for `steps` denoising steps; call before every run (schedulers are stateful). */
  setTimesteps(steps: number): void;
  /** Input scaling before the UNet call at `index` (Euler: x/√(σ²+1)); returns a new array. */
  scaleModelInput(sample: Float32Array, index: number): Float32Array;
  /**
   * Noises clean latents to the level of the sample at call `index` (img2img, inpainting):
   * VP schedulers √ᾱ·x₀ + √(1−ᾱ)·ε, Euler x₀ + σ·ε, DPM-Solver α·x₀ + σ_t·ε.
   */
  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array;
  /** One update from the model output at call `index`. */
  step(modelOutput: Float32Array, index: number, sample: Float32Array, options?: StepOptions): StepResult;
}
