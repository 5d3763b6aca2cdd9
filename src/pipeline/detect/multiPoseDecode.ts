/**
 * Decodes MoveNet MultiPose's heads into people, as the model's own TF graph does after its last
 * convolution (CenterNet keypoint decoding; the constants are the graph's):
 *  1. person centres: peaks of the centre heatmap (equal to their 5×5 neighbourhood maximum), best 6;
 *  2. each centre's box (offset ± scale / 2) and its 17 regressed joints (centre + regression);
 *  3. each joint snaps to the keypoint-heatmap cell that maximises heat × a Gaussian of the distance to
 *     the regressed joint, inside the person's box, then moves by that cell's sub-cell offset;
 *  4. a joint's score is that weighted heat (the largest over the 6 people at that cell); a person's
 *     score is the centre score times the mean of its joint scores above 0.127.
 * All heads are NCHW planes of one grid (the input at stride 4). Coordinates come out as fractions of
 * the network input.
 */

export interface MultiPoseHeads {
  /** Grid size (input / 4). */
  readonly height: number;
  readonly width: number;
  /** [1, 1, H, W] sigmoid. */
  readonly center: Float32Array;
  /** [1, 17, H, W] sigmoid. */
  readonly heatmap: Float32Array;
  /** [1, 34, H, W]: (dy, dx) per joint from the centre, in cells. */
  readonly regress: Float32Array;
  /** [1, 34, H, W]: (dy, dx) sub-cell offset per joint. */
  readonly offset: Float32Array;
  /** [1, 2, H, W]: box height and width, in cells. */
  readonly boxScale: Float32Array;
  /** [1, 2, H, W]: box centre offset, in cells. */
  readonly boxOffset: Float32Array;
}

export interface DecodedJoint {
  /** Fractions of the network input's height and width. */
  readonly y: number;
  readonly x: number;
  readonly score: number;
}

export interface DecodedPerson {
  readonly score: number;
  /** [ymin, xmin, ymax, xmax] as fractions of the input. */
  readonly box: readonly [number, number, number, number];
  readonly joints: readonly DecodedJoint[];
}

export const MAX_PEOPLE = 6;
export const JOINTS = 17;
const PEAK_WINDOW = 5;
const PEAK_EPSILON = 1e-6;
/** The Gaussian's width: exp(−d² / (min(H, W) · 0.3)), 0.3 as stored in float16. */
const DISTANCE_SIGMA = 0.300048828125;
/** Joints at or below this score do not count towards the person score (the graph's float16 0.127). */
const JOINT_SCORE_FLOOR = 0.126953125;

/** Cells equal to the maximum of their 5×5 neighbourhood keep their value; others become 0. */
export function centrePeaks(center: Float32Array, height: number, width: number): Float32Array {
  const r = Math.floor(PEAK_WINDOW / 2);
  const out = new Float32Array(center.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let max = -Infinity;
      for (let yy = Math.max(0, y - r); yy <= Math.min(height - 1, y + r); yy++) for (let xx = Math.max(0, x - r); xx <= Math.min(width - 1, x + r); xx++) max = Math.max(max, center[yy * width + xx]);
      const v = center[y * width + x];
      out[y * width + x] = Math.abs(v - max) < PEAK_EPSILON ? v : 0;
    }
  }
  return out;
}

/** Indices of the k largest values, largest first; ties keep index order. */
export function topK(values: Float32Array, k: number): number[] {
  return Array.from(values.keys())
    .sort((a, b) => values[b] - values[a] || a - b)
    .slice(0, k);
}

export function decodeMultiPose(heads: MultiPoseHeads): DecodedPerson[] {
  const { height: H, width: W } = heads;
  const plane = H * W;
  const at = (t: Float32Array, channel: number, y: number, x: number): number => t[channel * plane + y * W + x];

  // 1. Centres.
  const peaks = centrePeaks(heads.center, H, W);
  const centres = topK(peaks, MAX_PEOPLE).map((i) => ({ y: Math.floor(i / W), x: i % W, score: peaks[i] }));

  // 2. Boxes (in cells, clipped to the grid) and regressed joints.
  const people = centres.map((c) => {
    const cy = c.y + at(heads.boxOffset, 0, c.y, c.x);
    const cx = c.x + at(heads.boxOffset, 1, c.y, c.x);
    const h = Math.max(at(heads.boxScale, 0, c.y, c.x), 0) / 2;
    const w = Math.max(at(heads.boxScale, 1, c.y, c.x), 0) / 2;
    const clip = (v: number, max: number): number => Math.max(Math.min(v, max), 0);
    const box = [clip(cy - h, H), clip(cx - w, W), clip(cy + h, H), clip(cx + w, W)] as const;
    const regressed = Array.from({ length: JOINTS }, (_, k) => ({ y: c.y + at(heads.regress, 2 * k, c.y, c.x), x: c.x + at(heads.regress, 2 * k + 1, c.y, c.x) }));
    return { centre: c, box, regressed };
  });

  // 3. Weighted heat per person, joint and cell: heat × Gaussian(distance to the regressed joint) × inside the box.
  const spread = Math.min(H, W) * DISTANCE_SIGMA;
  const weighted = people.map((p) =>
    p.regressed.map((r, k) => {
      const out = new Float32Array(plane);
      for (let y = 0; y < H; y++) {
        if (y < p.box[0] || y >= p.box[2]) continue;
        for (let x = 0; x < W; x++) {
          if (x < p.box[1] || x >= p.box[3]) continue;
          out[y * W + x] = at(heads.heatmap, k, y, x) * Math.exp(-((y - r.y) ** 2 + (x - r.x) ** 2) / spread);
        }
      }
      return out;
    }),
  );

  return people.map((p, n) => {
    const joints = p.regressed.map((_, k) => {
      const map = weighted[n][k];
      let best = 0;
      for (let i = 1; i < plane; i++) if (map[i] > map[best]) best = i;
      const y = Math.floor(best / W);
      const x = best % W;
      // 4. The joint's score: the largest weighted heat any person gives this cell.
      const score = Math.max(...weighted.map((w) => w[k][best]));
      return { y: (y + at(heads.offset, 2 * k, y, x)) / H, x: (x + at(heads.offset, 2 * k + 1, y, x)) / W, score };
    });
    const counted = joints.filter((j) => j.score > JOINT_SCORE_FLOOR);
    const score = (p.centre.score * counted.reduce((s, j) => s + j.score, 0)) / Math.max(counted.length, 1);
    const box = [Math.min(p.box[0] / H, 1), Math.min(p.box[1] / W, 1), Math.min(p.box[2] / H, 1), Math.min(p.box[3] / W, 1)] as const;
    return { score, box, joints };
  });
}
