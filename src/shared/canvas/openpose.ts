/**
 * OpenPose body skeletons (COCO 18 keypoints): geometry, the JSON other pose tools exchange
 * (`people[].pose_keypoints_2d` = [x, y, confidence] × 18), and rasterisation in the standard
 * OpenPose colours (the ControlNet openpose convention: limbs at 60 % of their colour, joints full).
 */

export const KEYPOINTS = [
  'nose', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist', 'left_shoulder', 'left_elbow', 'left_wrist',
  'right_hip', 'right_knee', 'right_ankle', 'left_hip', 'left_knee', 'left_ankle', 'right_eye', 'left_eye', 'right_ear', 'left_ear',
] as const;
export type KeypointName = (typeof KEYPOINTS)[number];

/** Limbs as keypoint index pairs, in OpenPose's drawing order (the ear–shoulder pairs are not drawn). */
export const LIMBS: readonly (readonly [number, number])[] = [
  [1, 2], [1, 5], [2, 3], [3, 4], [5, 6], [6, 7], [1, 8], [8, 9], [9, 10], [1, 11], [11, 12], [12, 13], [1, 0], [0, 14], [14, 16], [0, 15], [15, 17],
];

/** The 18 OpenPose colours (RGB): limb i uses COLORS[i], keypoint k uses COLORS[k]. */
export const COLORS: readonly (readonly [number, number, number])[] = [
  [255, 0, 0], [255, 85, 0], [255, 170, 0], [255, 255, 0], [170, 255, 0], [85, 255, 0], [0, 255, 0], [0, 255, 85], [0, 255, 170],
  [0, 255, 255], [0, 170, 255], [0, 85, 255], [0, 0, 255], [85, 0, 255], [170, 0, 255], [255, 0, 255], [255, 0, 170], [255, 0, 85],
];

/** Left/right partner of each keypoint (mirroring swaps them). */
const MIRROR = [0, 1, 5, 6, 7, 2, 3, 4, 11, 12, 13, 8, 9, 10, 15, 14, 17, 16];

export interface Keypoint {
  readonly x: number;
  readonly y: number;
  /** Hidden joints (unseen parts) are kept in place but not drawn or exported with confidence. */
  readonly visible: boolean;
}

export interface Person {
  readonly keypoints: readonly Keypoint[];
}

/** A T-pose scaled to fit the canvas height, centred. */
export function defaultPerson(width: number, height: number): Person {
  // Unit skeleton: x in [-0.5, 0.5] (arms out), y from 0 (top of head) to 1 (feet).
  const unit: Array<[number, number]> = [
    [0, 0.1], [0, 0.2], [-0.12, 0.2], [-0.3, 0.2], [-0.48, 0.2], [0.12, 0.2], [0.3, 0.2], [0.48, 0.2],
    [-0.08, 0.52], [-0.08, 0.75], [-0.08, 0.98], [0.08, 0.52], [0.08, 0.75], [0.08, 0.98], [-0.03, 0.08], [0.03, 0.08], [-0.06, 0.1], [0.06, 0.1],
  ];
  const size = Math.min(height * 0.85, width * 0.85 * 1.1);
  const left = width / 2;
  const top = (height - size) / 2;
  return { keypoints: unit.map(([x, y]) => ({ x: left + x * size, y: top + y * size, visible: true })) };
}

export function moveJoint(person: Person, index: number, x: number, y: number): Person {
  return { keypoints: person.keypoints.map((k, i) => (i === index ? { ...k, x, y, visible: true } : k)) };
}

export function setJointVisible(person: Person, index: number, visible: boolean): Person {
  return { keypoints: person.keypoints.map((k, i) => (i === index ? { ...k, visible } : k)) };
}

export function translate(person: Person, dx: number, dy: number): Person {
  return { keypoints: person.keypoints.map((k) => ({ ...k, x: k.x + dx, y: k.y + dy })) };
}

function centre(person: Person): { x: number; y: number } {
  const visible = person.keypoints.filter((k) => k.visible);
  const pts = visible.length > 0 ? visible : person.keypoints;
  return { x: pts.reduce((s, k) => s + k.x, 0) / pts.length, y: pts.reduce((s, k) => s + k.y, 0) / pts.length };
}

export function scale(person: Person, factor: number): Person {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new RangeError(`scale factor must be a positive number, got ${factor}`);
  const c = centre(person);
  return { keypoints: person.keypoints.map((k) => ({ ...k, x: c.x + (k.x - c.x) * factor, y: c.y + (k.y - c.y) * factor })) };
}

/** Horizontal mirror about the person's centre; left and right joints swap roles. */
export function mirror(person: Person): Person {
  const c = centre(person);
  return { keypoints: MIRROR.map((source) => ({ ...person.keypoints[source], x: 2 * c.x - person.keypoints[source].x })) };
}

export interface PoseDocument {
  readonly width: number;
  readonly height: number;
  readonly people: readonly Person[];
}

/** The same skeletons on a canvas of another size (each axis stretched on its own). */
export function resizePose(doc: PoseDocument, width: number, height: number): PoseDocument {
  const [sx, sy] = [width / doc.width, height / doc.height];
  return { width, height, people: doc.people.map((p) => ({ keypoints: p.keypoints.map((k) => ({ ...k, x: k.x * sx, y: k.y * sy })) })) };
}

/** OpenPose JSON (the format pose editors exchange); hidden joints are written as 0,0,0 like OpenPose does. */
export function toOpenPoseJson(doc: PoseDocument): string {
  return JSON.stringify({
    version: 1.3,
    canvas_width: doc.width,
    canvas_height: doc.height,
    people: doc.people.map((p) => ({
      pose_keypoints_2d: p.keypoints.flatMap((k) => (k.visible ? [round(k.x), round(k.y), 1] : [0, 0, 0])),
    })),
  });
}

const round = (v: number): number => Math.round(v * 100) / 100;

export class PoseJsonError extends Error {}

/**
 * Reads OpenPose JSON. Missing or malformed required fields are errors that say which; extra fields
 * (face, hands, ids) are ignored. Points with confidence 0 (or 0,0) become hidden joints.
 */
export function fromOpenPoseJson(text: string, fallbackSize?: { width: number; height: number }): PoseDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PoseJsonError(`pose JSON is not valid JSON: ${(error as Error).message}`);
  }
  const root = (Array.isArray(json) ? json[0] : json) as Record<string, unknown> | undefined;
  if (!root || typeof root !== 'object') throw new PoseJsonError('pose JSON must be an object with a "people" list');
  if (!Array.isArray(root.people)) throw new PoseJsonError('pose JSON has no "people" list');
  const width = typeof root.canvas_width === 'number' ? root.canvas_width : fallbackSize?.width;
  const height = typeof root.canvas_height === 'number' ? root.canvas_height : fallbackSize?.height;
  if (!width || !height || width <= 0 || height <= 0) throw new PoseJsonError('pose JSON has no canvas_width/canvas_height and no image size was given');
  const people = root.people.map((raw: unknown, i: number) => {
    const flat = (raw as { pose_keypoints_2d?: unknown })?.pose_keypoints_2d;
    if (!Array.isArray(flat) || flat.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new PoseJsonError(`people[${i}].pose_keypoints_2d must be a list of numbers`);
    }
    if (flat.length !== 54 && flat.length !== 75) {
      throw new PoseJsonError(`people[${i}].pose_keypoints_2d has ${flat.length} numbers; expected 54 (18 COCO keypoints × x, y, confidence)`);
    }
    if (flat.length === 75) throw new PoseJsonError(`people[${i}] uses the 25-keypoint BODY_25 layout; export it as COCO 18 keypoints`);
    const keypoints = Array.from({ length: 18 }, (_, k) => {
      const [x, y, c] = [flat[3 * k], flat[3 * k + 1], flat[3 * k + 2]] as number[];
      // Some tools write normalised coordinates (all ≤ 1): scale them to the canvas.
      return { x, y, visible: c > 0 && !(x === 0 && y === 0) };
    });
    const normalised = keypoints.every((k) => !k.visible || (k.x <= 1 && k.y <= 1));
    return { keypoints: normalised ? keypoints.map((k) => ({ ...k, x: k.x * width, y: k.y * height })) : keypoints };
  });
  return { width, height, people };
}

/** Rasterises skeletons on black: RGB u8, limbs as ellipses at 60 % colour, joints as discs of radius 4. */
export function rasterizePose(doc: PoseDocument, stickWidth = 4): Uint8Array {
  const { width, height } = doc;
  const rgb = new Uint8Array(width * height * 3);
  const paint = (x: number, y: number, color: readonly number[]): void => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (y * width + x) * 3;
    rgb[i] = color[0];
    rgb[i + 1] = color[1];
    rgb[i + 2] = color[2];
  };
  for (const person of doc.people) {
    LIMBS.forEach(([a, b], limb) => {
      const ka = person.keypoints[a];
      const kb = person.keypoints[b];
      if (!ka.visible || !kb.visible) return;
      const color = COLORS[limb].map((c) => Math.floor(c * 0.6));
      const length = Math.hypot(kb.x - ka.x, kb.y - ka.y) / 2;
      const mx = (ka.x + kb.x) / 2;
      const my = (ka.y + kb.y) / 2;
      const angle = Math.atan2(kb.y - ka.y, kb.x - ka.x);
      const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
      const reach = Math.ceil(Math.max(length, stickWidth)) + 1;
      for (let y = Math.floor(my - reach); y <= Math.ceil(my + reach); y++) {
        for (let x = Math.floor(mx - reach); x <= Math.ceil(mx + reach); x++) {
          const dx = x + 0.5 - mx;
          const dy = y + 0.5 - my;
          const u = (dx * cos + dy * sin) / Math.max(length, 0.5);
          const v = (-dx * sin + dy * cos) / stickWidth;
          if (u * u + v * v <= 1) paint(x, y, color);
        }
      }
    });
    person.keypoints.forEach((k, i) => {
      if (!k.visible) return;
      for (let y = Math.floor(k.y - 4); y <= Math.ceil(k.y + 4); y++) {
        for (let x = Math.floor(k.x - 4); x <= Math.ceil(k.x + 4); x++) if (Math.hypot(x + 0.5 - k.x, y + 0.5 - k.y) <= 4) paint(x, y, COLORS[i]);
      }
    });
  }
  return rgb;
}
