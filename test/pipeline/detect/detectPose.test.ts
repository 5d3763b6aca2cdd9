/**
 * "Detect pose from image" on drawn people whose joints are known: every joint within 20 px on a
 * 512-pixel-high image (a third of a head), the neck between the shoulders, two people told apart,
 * nobody found where nobody is.
 */
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Person } from '../../../src/shared/canvas/openpose';
import { openSession, type Session } from '../../../src/pipeline/backends/onnx';
import { findDetector } from '../../../src/pipeline/detect/detectors';
import { detectPose, letterboxSize, openPoseFromCoco } from '../../../src/pipeline/detect/detectPose';
import { ARMS_UP, COCO_JOINTS, emptyScene, figureImage, movePose, STANDING, type FigurePose } from '../../helpers/figure';
import { quietLog } from '../../helpers/fixtures';

const TOLERANCE_PX = 20;
/** OpenPose index of each COCO joint (the neck, 1, has none). */
const OPENPOSE_INDEX = [0, 15, 14, 17, 16, 5, 2, 6, 3, 7, 4, 11, 8, 12, 9, 13, 10];

let session: Session;
beforeAll(async () => {
  session = await openSession(findDetector(path.resolve('dist/detectors'), 'movenet-multipose').file, { preference: 'cpu', stats: { runs: 0, runMs: 0 }, log: quietLog });
});
afterAll(async () => session.release());

async function detect(png: Uint8Array): Promise<Awaited<ReturnType<typeof detectPose>>> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return detectPose(session, { width: info.width, height: info.height, rgb: new Uint8Array(data) });
}

function errors(person: Person, truth: FigurePose): number[] {
  return COCO_JOINTS.map((j, i) => Math.hypot(person.keypoints[OPENPOSE_INDEX[i]].x - truth[j][0], person.keypoints[OPENPOSE_INDEX[i]].y - truth[j][1]));
}

function report(label: string, e: number[]): void {
  console.log(`pose ${label}: mean ${(e.reduce((a, b) => a + b, 0) / e.length).toFixed(1)} px, worst ${Math.max(...e).toFixed(1)} px (${COCO_JOINTS[e.indexOf(Math.max(...e))]})`);
}

describe('detectPose', () => {
  it(`one person: every joint within ${TOLERANCE_PX} px, all visible, the neck between the shoulders`, async () => {
    const [found, ...rest] = await detect(await figureImage([STANDING]));
    expect(rest).toHaveLength(0);
    const e = errors(found.person, STANDING);
    report('standing, 512×512', e);
    expect(Math.max(...e)).toBeLessThan(TOLERANCE_PX);
    expect(found.person.keypoints.every((k) => k.visible)).toBe(true);
    const [neck, rs, ls] = [1, 2, 5].map((i) => found.person.keypoints[i]);
    expect(neck.x).toBeCloseTo((rs.x + ls.x) / 2, 6);
    expect(neck.y).toBeCloseTo((rs.y + ls.y) / 2, 6);
    // The inverse: the same person mirrored would put the left shoulder on the image's left; it does not.
    expect(ls.x).toBeGreaterThan(rs.x);
  });

  it('two people in a wide image: both found, each joint within the tolerance of its own person', async () => {
    const poses = [movePose(STANDING, -130, 0, 0.8), movePose(ARMS_UP, 130, 0, 0.8)];
    const found = await detect(await figureImage(poses, 768, 512));
    expect(found).toHaveLength(2);
    for (const truth of poses) {
      const best = found.map((f) => errors(f.person, truth)).sort((a, b) => Math.max(...a) - Math.max(...b))[0];
      report(truth === poses[0] ? 'standing, left of 768×512' : 'arms up, right of 768×512', best);
      expect(Math.max(...best)).toBeLessThan(TOLERANCE_PX);
    }
  });

  it('finds nobody in a room without people, and nobody in a 1×1 image', async () => {
    expect(await detect(await emptyScene())).toEqual([]);
    expect(await detectPose(session, { width: 1, height: 1, rgb: new Uint8Array([200, 180, 160]) })).toEqual([]);
  });
});

describe('letterbox and OpenPose mapping', () => {
  it('scales the longer side to 256 and pads each side to a multiple of 32', () => {
    expect(letterboxSize(512, 512)).toEqual({ resized: { width: 256, height: 256 }, padded: { width: 256, height: 256 } });
    expect(letterboxSize(768, 512)).toEqual({ resized: { width: 256, height: 171 }, padded: { width: 256, height: 192 } });
    expect(letterboxSize(1, 1)).toEqual({ resized: { width: 256, height: 256 }, padded: { width: 256, height: 256 } });
    expect(letterboxSize(4000, 10)).toEqual({ resized: { width: 256, height: 1 }, padded: { width: 256, height: 32 } });
  });

  it('hides unsure joints, and the neck unless both shoulders are sure', () => {
    const joints = COCO_JOINTS.map((_, i) => ({ x: i * 10, y: i, score: i === 6 ? 0.1 : 0.9 }));
    const person = openPoseFromCoco(joints);
    expect(person.keypoints).toHaveLength(18);
    expect(person.keypoints[2]).toEqual({ x: 60, y: 6, visible: false }); // right shoulder: kept in place, hidden
    expect(person.keypoints[1]).toEqual({ x: 55, y: 5.5, visible: false });
    expect(person.keypoints[5]).toEqual({ x: 50, y: 5, visible: true });
    expect(person.keypoints[15]).toEqual({ x: 10, y: 1, visible: true }); // left eye
  });
});
