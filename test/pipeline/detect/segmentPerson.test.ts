/** "Select person" on drawn people whose silhouettes are known exactly: IoU against the true mask. */
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type Session } from '../../../src/pipeline/backends/onnx';
import { findDetector } from '../../../src/pipeline/detect/detectors';
import { segmentPerson } from '../../../src/pipeline/detect/segmentPerson';
import { ARMS_UP, emptyScene, figureImage, figureMask, movePose, STANDING } from '../../helpers/figure';
import { quietLog } from '../../helpers/fixtures';

let session: Session;
beforeAll(async () => {
  session = await openSession(findDetector(path.resolve('dist/detectors'), 'selfie-segmentation').file, { preference: 'cpu', stats: { runs: 0, runMs: 0 }, log: quietLog });
});
afterAll(async () => session.release());

async function segment(png: Uint8Array): Promise<Awaited<ReturnType<typeof segmentPerson>>> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return segmentPerson(session, { width: info.width, height: info.height, rgb: new Uint8Array(data) });
}

function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) inter++;
    if (a[i] || b[i]) union++;
  }
  return inter / union;
}

describe('segmentPerson', () => {
  it.each([
    ['one person, 512×512', [STANDING], 512, 512, 0.93],
    ['two people, 768×512', [movePose(STANDING, -130, 0, 0.8), movePose(ARMS_UP, 130, 0, 0.8)], 768, 512, 0.85],
  ] as const)('%s: IoU with the true silhouette at least the stated bound', async (name, poses, width, height, bound) => {
    const { mask, coverage } = await segment(await figureImage(poses, width, height));
    expect(mask).toBeDefined();
    expect(mask?.length).toBe(width * height);
    expect(new Set(mask)).toEqual(new Set([0, 255]));
    const truth = await figureMask(poses, width, height);
    const score = iou(mask ?? new Uint8Array(0), truth);
    console.log(`person mask ${name}: IoU ${score.toFixed(3)} (bound ${bound}), coverage ${(coverage * 100).toFixed(1)} %`);
    expect(score).toBeGreaterThanOrEqual(bound);
    // The inverse: the mask of another pose scores far lower.
    const other = await figureMask(poses.map((p) => movePose(p, 0, 0, 0.6)), width, height);
    expect(iou(mask ?? new Uint8Array(0), other)).toBeLessThan(bound - 0.2);
  });

  it('finds nobody in a room without people (no mask)', async () => {
    const { mask, coverage } = await segment(await emptyScene());
    expect(mask).toBeUndefined();
    expect(coverage).toBeLessThan(0.002);
  });
});
