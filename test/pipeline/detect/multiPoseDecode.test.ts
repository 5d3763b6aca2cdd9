/**
 * MoveNet MultiPose decoding: our TypeScript against the model's own in-graph post-processing (the
 * full TF.js graph run by @tensorflow/tfjs), and the rules on hand-made heads.
 */
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type Session } from '../../../src/pipeline/backends/onnx';
import { findDetector } from '../../../src/pipeline/detect/detectors';
import { runMultiPose } from '../../../src/pipeline/detect/detectPose';
import { centrePeaks, decodeMultiPose, topK, type MultiPoseHeads } from '../../../src/pipeline/detect/multiPoseDecode';
import { ARMS_UP, figureImage, movePose, STANDING } from '../../helpers/figure';
import { quietLog } from '../../helpers/fixtures';
import { loadHumanModel, runNodes, tf } from '../../helpers/tfjsGraph';

let session: Session;
beforeAll(async () => {
  session = await openSession(findDetector(path.resolve('dist/detectors'), 'movenet-multipose').file, { preference: 'cpu', stats: { runs: 0, runMs: 0 }, log: quietLog });
});
afterAll(async () => session.release());

describe('against the graph\'s own post-processing', () => {
  it.each([
    ['one person, 512×512', [STANDING], 512, 512],
    ['two people, 768×512', [movePose(STANDING, -130, 0, 0.8), movePose(ARMS_UP, 130, 0, 0.8)], 768, 512],
  ] as const)('%s: all 6 candidates, their boxes, joints and scores', async (_name, poses, width, height) => {
    const { data, info } = await sharp(await figureImage(poses, width, height)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const ours = await runMultiPose(session, { width: info.width, height: info.height, rgb: new Uint8Array(data) });
    const model = await loadHumanModel('models/movenet-multipose.json');
    const [theirs] = await runNodes(model, tf.tensor4d(Int32Array.from(ours.input.data), [1, ours.input.height, ours.input.width, 3], 'int32'), ['Identity']);
    expect(theirs.shape).toEqual([1, 6, 56]);
    let joint = 0;
    let score = 0;
    ours.people.forEach((p, n) => {
      const row = theirs.data.subarray(n * 56, n * 56 + 56);
      p.joints.forEach((j, k) => {
        joint = Math.max(joint, Math.abs(j.y - row[3 * k]), Math.abs(j.x - row[3 * k + 1]));
        score = Math.max(score, Math.abs(j.score - row[3 * k + 2]));
      });
      expect(p.box.map((v, i) => Math.abs(v - row[51 + i])).every((d) => d < 1e-4)).toBe(true);
      score = Math.max(score, Math.abs(p.score - row[55]));
    });
    console.log(`MoveNet decode vs graph (${_name}): joints within ${joint.toExponential(2)} of the input size, scores within ${score.toExponential(2)}; people ≥ 0.2: ${ours.people.filter((p) => p.score >= 0.2).length}`);
    expect(joint).toBeLessThan(1e-4);
    expect(score).toBeLessThan(1e-4);
    expect(ours.people.filter((p) => p.score >= 0.2)).toHaveLength(poses.length);
  });
});

/** 16×16 grid heads, all zero except what a test sets. */
function heads(): MultiPoseHeads & { set: (t: Float32Array, c: number, y: number, x: number, v: number) => void } {
  const H = 16;
  const W = 16;
  const plane = (n: number): Float32Array => new Float32Array(n * H * W);
  return {
    height: H, width: W, center: plane(1), heatmap: plane(17), regress: plane(34), offset: plane(34), boxScale: plane(2), boxOffset: plane(2),
    set: (t, c, y, x, v) => { t[c * H * W + y * W + x] = v; },
  };
}

describe('decoding rules', () => {
  it('keeps only 5×5 peaks and takes the best, lower index first on ties', () => {
    const c = new Float32Array(16 * 16);
    c[3 * 16 + 3] = 0.9;
    c[3 * 16 + 5] = 0.8; // within 2 cells of a higher peak: suppressed
    c[10 * 16 + 10] = 0.5;
    c[10 * 16 + 14] = 0.5;
    const peaks = centrePeaks(c, 16, 16);
    expect(peaks[3 * 16 + 5]).toBe(0);
    expect(topK(peaks, 3)).toEqual([3 * 16 + 3, 10 * 16 + 10, 10 * 16 + 14]);
  });

  it('snaps a joint to the heat nearest its regressed position, inside the box, then adds the sub-cell offset', () => {
    const h = heads();
    h.set(h.center, 0, 8, 8, 0.9);
    h.set(h.boxScale, 0, 8, 8, 12);
    h.set(h.boxScale, 1, 8, 8, 12); // box rows/cols 2…14
    // Joint 0 regressed to (4, 8): a weaker peak there beats a stronger one far away and one outside the box.
    h.set(h.regress, 0, 8, 8, -4);
    h.set(h.heatmap, 0, 4, 9, 0.6);
    h.set(h.heatmap, 0, 12, 3, 0.9);
    h.set(h.heatmap, 0, 4, 15, 1.0);
    h.set(h.offset, 0, 4, 9, 0.25);
    h.set(h.offset, 1, 4, 9, -0.5);
    const [first] = decodeMultiPose(h);
    expect(first.joints[0].y).toBeCloseTo((4 + 0.25) / 16, 6);
    expect(first.joints[0].x).toBeCloseTo((9 - 0.5) / 16, 6);
    expect(first.joints[0].score).toBeCloseTo(0.6 * Math.exp(-1 / (16 * 0.300048828125)), 6);
    expect(first.box).toEqual([2 / 16, 2 / 16, 14 / 16, 14 / 16]);
    // One joint above the 0.127 floor: the person scores centre × that joint.
    expect(first.score).toBeCloseTo(0.9 * first.joints[0].score, 6);
  });
});
