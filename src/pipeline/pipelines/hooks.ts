/** Callbacks a pipeline run reports through (progress, previews, warnings) and test hooks. */
import type { UsedControlNet } from '../../shared/request';
import type { Scheduler } from '../schedulers';

export interface PipelineHooks {
  readonly signal?: AbortSignal;
  onProgress?(phase: 'encoding' | 'denoising' | 'decoding', step: number, totalSteps: number): void;
  /** Latents after each denoising step (unscaled, [1,4,h,w]); previews are built from these. */
  onStep?(index: number, totalSteps: number, latents: Float32Array, latentWidth: number, latentHeight: number, timestep: number): void;
  onWarning?(message: string): void;
  /** Lets the oracle tests substitute a deliberately broken scheduler to prove the oracle catches it. */
  adaptScheduler?(scheduler: Scheduler): Scheduler;
}

export interface PipelineOutput {
  /** [3, height, width] in [0, 1]. */
  readonly image: Float32Array;
  readonly width: number;
  readonly height: number;
  readonly sampler: import('../schedulers').ResolvedSampler;
  /** UNet calls made. */
  readonly unetCalls: number;
  readonly warnings: readonly string[];
  readonly denoiseMs: number;
  /** The ControlNets that ran (for metadata). */
  readonly controlNets: readonly UsedControlNet[];
  /** Separate ControlNet runs and their share of `denoiseMs`. */
  readonly controlNetRuns: number;
  readonly controlNetMs: number;
}
