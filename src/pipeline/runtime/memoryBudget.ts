/**
 * Checks before a CPU job that it fits in the machine's available memory, so the user reads what fits
 * instead of the OS killing the worker halfway through a load or a step.
 *
 * The estimate is calibrated on SD 1.5 fp32 (3.44 GB UNet) on the CPU with CFG as batch-1 passes, measured
 * with the reference harness: see README "Performance". Activations scale with the UNet's size (channel
 * widths) and with the latent area, plus an attention term that grows with the area squared.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { PipelineError } from '../../shared/errors';

/** The SD 1.5 fp32 UNet the figures below were measured with (`unet/model.onnx` + `weights.pb`). */
export const SD15_UNET_BYTES = 3_439_311_145;
/**
 * Working memory beyond the weights at 512² for that UNet, its VAE decode and the process itself: the
 * worker's peak (7.17 GiB, two jobs, no memory pattern, text encoder closed while denoising) less the
 * 4.1 GB of weights of the three graphs.
 */
export const SD15_WORKING_BYTES_512 = 3_700_000_000;
/** Share of that working memory held by attention maps (grows with area²); the rest grows with area. */
const ATTENTION_SHARE = 0.25;

/** Working memory of the SD VAE decoder at 512² (arena, measured on the harness's SD 1.5 export: 0.95 GiB). */
const VAE_DECODE_WORKING_BYTES_512 = 1_020_000_000;

/** Memory a decode of this size takes beyond what is resident: the decoder's weights (it is opened for it) and working memory. */
export function vaeDecodeBytes(decoderBytes: number, width: number, height: number): number {
  return decoderBytes + VAE_DECODE_WORKING_BYTES_512 * ((width * height) / (512 * 512)) * 1.1;
}

export interface MemoryNeed {
  /** Weights still to load (0 when the model is already resident). */
  readonly weightsBytes: number;
  readonly workingBytes: number;
  readonly totalBytes: number;
}

export interface JobShape {
  /** Bytes of the UNet graph and its external data. */
  readonly unetBytes: number;
  /** Bytes of all the model's graphs still to load (0 when the model is already resident). */
  readonly weightsToLoadBytes: number;
  /** Output size; without one only the weights are checked. */
  readonly width?: number;
  readonly height?: number;
}

export function estimateJobMemory(job: JobShape): MemoryNeed {
  const area = ((job.width ?? 0) * (job.height ?? 0)) / (512 * 512);
  const perUnet = SD15_WORKING_BYTES_512 * (job.unetBytes / SD15_UNET_BYTES);
  const workingBytes = perUnet * ((1 - ATTENTION_SHARE) * area + ATTENTION_SHARE * area * area);
  return { weightsBytes: job.weightsToLoadBytes, workingBytes, totalBytes: job.weightsToLoadBytes + workingBytes };
}

/** MemAvailable from /proc/meminfo (what can be used without swapping); os.freemem() where there is none. */
export function availableMemoryBytes(meminfo: string | undefined = readMeminfo()): number {
  const match = meminfo && /^MemAvailable:\s+(\d+)\s+kB/m.exec(meminfo);
  return match ? Number(match[1]) * 1024 : os.freemem();
}

function readMeminfo(): string | undefined {
  try {
    return readFileSync('/proc/meminfo', 'utf8');
  } catch {
    return undefined;
  }
}

function gb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}

/** The largest size of the same aspect ratio, in steps of 64 px, whose job fits; undefined when none ≥ 256 px does. */
export function sizeThatFits(job: JobShape, availableBytes: number): { width: number; height: number } | undefined {
  if (job.width === undefined || job.height === undefined) return undefined;
  const longSide = Math.max(job.width, job.height);
  for (let side = Math.floor((longSide - 1) / 64) * 64; side >= 256; side -= 64) {
    const scale = side / longSide;
    const width = Math.max(64, Math.round((job.width * scale) / 8) * 8);
    const height = Math.max(64, Math.round((job.height * scale) / 8) * 8);
    if (estimateJobMemory({ ...job, width, height }).totalBytes <= availableBytes) return { width, height };
  }
  return undefined;
}

/** Throws NOT_ENOUGH_MEMORY, naming the need, what is available and a size that fits, when the job would not fit. */
export function checkJobFits(job: JobShape, availableBytes: number): MemoryNeed {
  const need = estimateJobMemory(job);
  if (need.totalBytes <= availableBytes) return need;
  const fits = sizeThatFits(job, availableBytes);
  const loading = need.weightsBytes > 0 ? ` (${gb(need.weightsBytes)} of weights to load and ${gb(need.workingBytes)} to run)` : '';
  const suggestion = fits
    ? `${fits.width}×${fits.height} fits (about ${gb(estimateJobMemory({ ...job, ...fits }).totalBytes)})`
    : need.weightsBytes > availableBytes
      ? 'the model alone does not fit: close other programs or use a smaller (fp16 or int8) model'
      : 'no size from 256 px up fits: close other programs or use a smaller (fp16 or int8) model';
  const what = job.width !== undefined && job.height !== undefined ? `a ${job.width}×${job.height} image` : 'loading this model';
  throw new PipelineError(
    'NOT_ENOUGH_MEMORY',
    `${what} needs about ${gb(need.totalBytes)} of memory${loading} but ${gb(availableBytes)} is available; ${suggestion}`,
    { argument: 'width' },
  );
}
