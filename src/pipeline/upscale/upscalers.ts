/**
 * The built-in upscalers: trained ESRGAN/RDN weights from @upscalerjs packages (MIT), converted to
 * ONNX at build time into `<dir>/esrgan-<model>/x<scale>/model.onnx`, each with an `upscaler.json`
 * that records where the weights came from and their licence.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../../shared/errors';
import type { UpscaleFactor, UpscalerModel } from '../../shared/request';
import { FILE_KINDS, readBoundedSync } from '../../shared/files/boundedRead';

export interface UpscalerInfo {
  readonly package: string;
  readonly version: string;
  readonly license: string;
  readonly source: string;
  readonly architecture: string;
  readonly scale: number;
  /** Input pixels an output pixel depends on, each side (computed by the converter); tiles overlap by more. */
  readonly receptiveRadius: number;
}

export interface UpscalerFiles {
  readonly file: string;
  readonly info: UpscalerInfo;
}

export function upscalerFolder(dir: string, model: UpscalerModel, scale: UpscaleFactor): string {
  return path.join(dir, `esrgan-${model}`, `x${scale}`);
}

export function findUpscaler(dir: string, model: UpscalerModel, scale: UpscaleFactor): UpscalerFiles {
  const folder = upscalerFolder(dir, model, scale);
  const file = path.join(folder, 'model.onnx');
  const meta = path.join(folder, 'upscaler.json');
  if (!existsSync(file) || !existsSync(meta)) {
    throw new PipelineError('MODEL_MISSING_FILE', `the built-in ${model} ${scale}× upscaler is missing (${file}); rebuild with npm run build`, { argument: 'scale' });
  }
  return { file, info: JSON.parse(readBoundedSync(meta, FILE_KINDS.modelConfig).toString('utf8')) as UpscalerInfo };
}
