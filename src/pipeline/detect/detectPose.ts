/**
 * "Detect pose from image": MoveNet MultiPose on the image, letterboxed so its longer side is 256
 * (the model's size) and both sides are multiples of 32, then decoded (multiPoseDecode.ts) and turned
 * into OpenPose skeletons in image pixels.
 */
import type { Keypoint, Person } from '../../shared/canvas/openpose';
import type { DetectedPose } from '../../shared/request';
import type { Session } from '../backends/onnx';
import { findInput, readFloat } from '../models/tensorIo';
import { resizeRgb, type RgbImage } from '../ops/decodeImage';
import { decodeMultiPose, type DecodedPerson } from './multiPoseDecode';

export const POSE_INPUT_SIDE = 256;
/** People below this score are not reported (MoveNet's own demos use 0.2–0.3). */
export const PERSON_SCORE_THRESHOLD = 0.2;
/** Joints below this score are kept in place but hidden. */
export const JOINT_SCORE_THRESHOLD = 0.3;

/** Where each OpenPose joint comes from in MoveNet's COCO order; the neck (−1) is the shoulders' midpoint. */
const OPENPOSE_FROM_COCO = [0, -1, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3] as const;
const COCO_LEFT_SHOULDER = 5;
const COCO_RIGHT_SHOULDER = 6;

export interface PoseInput {
  /** Float NHWC [1, height, width, 3], values 0…255. */
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
  /** Image pixels per input pixel, per axis. */
  readonly scaleX: number;
  readonly scaleY: number;
}

export function letterboxSize(width: number, height: number): { resized: { width: number; height: number }; padded: { width: number; height: number } } {
  const scale = POSE_INPUT_SIDE / Math.max(width, height);
  const resized = { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
  return { resized, padded: { width: Math.ceil(resized.width / 32) * 32, height: Math.ceil(resized.height / 32) * 32 } };
}

export async function poseInput(image: RgbImage): Promise<PoseInput> {
  const { resized, padded } = letterboxSize(image.width, image.height);
  const small = await resizeRgb(image, resized.width, resized.height);
  const data = new Float32Array(padded.width * padded.height * 3);
  for (let y = 0; y < resized.height; y++) for (let i = 0; i < resized.width * 3; i++) data[y * padded.width * 3 + i] = small.rgb[y * resized.width * 3 + i];
  return { data, width: padded.width, height: padded.height, scaleX: image.width / resized.width, scaleY: image.height / resized.height };
}

/** COCO-17 joints in image pixels → an OpenPose person; low-scoring joints are hidden, the neck needs both shoulders. */
export function openPoseFromCoco(joints: readonly { readonly x: number; readonly y: number; readonly score: number }[]): Person {
  const keypoints: Keypoint[] = OPENPOSE_FROM_COCO.map((source) => {
    if (source >= 0) return { x: joints[source].x, y: joints[source].y, visible: joints[source].score >= JOINT_SCORE_THRESHOLD };
    const l = joints[COCO_LEFT_SHOULDER];
    const r = joints[COCO_RIGHT_SHOULDER];
    return { x: (l.x + r.x) / 2, y: (l.y + r.y) / 2, visible: l.score >= JOINT_SCORE_THRESHOLD && r.score >= JOINT_SCORE_THRESHOLD };
  });
  return { keypoints };
}

export interface PoseHeadsRun {
  readonly input: PoseInput;
  readonly people: readonly DecodedPerson[];
}

/** Runs the network and decodes all 6 candidates (joints as fractions of the padded input). */
export async function runMultiPose(session: Session, image: RgbImage): Promise<PoseHeadsRun> {
  const input = await poseInput(image);
  const info = findInput(session, ['image'], 'image');
  const out = await session.run({ [info.name]: { type: 'float32', data: input.data, dims: [1, input.height, input.width, 3] } });
  const heads = {
    height: input.height / 4,
    width: input.width / 4,
    center: readFloat(out.center, 'center'),
    heatmap: readFloat(out.heatmap, 'heatmap'),
    regress: readFloat(out.regress, 'regress'),
    offset: readFloat(out.offset, 'offset'),
    boxScale: readFloat(out.box_scale, 'box_scale'),
    boxOffset: readFloat(out.box_offset, 'box_offset'),
  };
  return { input, people: decodeMultiPose(heads) };
}

export async function detectPose(session: Session, image: RgbImage): Promise<DetectedPose[]> {
  const { input, people } = await runMultiPose(session, image);
  return people
    .filter((p) => p.score >= PERSON_SCORE_THRESHOLD)
    .map((p) => ({
      score: p.score,
      person: openPoseFromCoco(p.joints.map((j) => ({ x: j.x * input.width * input.scaleX, y: j.y * input.height * input.scaleY, score: j.score }))),
    }));
}
