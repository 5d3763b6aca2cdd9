/**
 * Test images with known answers for the pose and person detectors: flat-shaded people (skin, shirt,
 * trousers, hair, face) drawn as SVG around given COCO joint positions, and the exact silhouette
 * mask of the same drawing. The detectors never saw these images; what they must find is known.
 */
import sharp from 'sharp';

export const COCO_JOINTS = [
  'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
  'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
] as const;
export type CocoJoint = (typeof COCO_JOINTS)[number];
export type FigurePose = Readonly<Record<CocoJoint, readonly [number, number]>>;

/** Facing the viewer, arms slightly out: the person's left is on the image's right. */
export const STANDING: FigurePose = {
  nose: [256, 92], left_eye: [266, 82], right_eye: [246, 82], left_ear: [278, 88], right_ear: [234, 88],
  left_shoulder: [296, 140], right_shoulder: [216, 140], left_elbow: [336, 200], right_elbow: [170, 196], left_wrist: [352, 262], right_wrist: [150, 256],
  left_hip: [284, 270], right_hip: [228, 270], left_knee: [300, 362], right_knee: [212, 360], left_ankle: [312, 452], right_ankle: [200, 452],
};

/** Arms raised, legs apart. */
export const ARMS_UP: FigurePose = {
  nose: [256, 110], left_eye: [266, 100], right_eye: [246, 100], left_ear: [278, 106], right_ear: [234, 106],
  left_shoulder: [296, 158], right_shoulder: [216, 158], left_elbow: [332, 100], right_elbow: [180, 100], left_wrist: [344, 40], right_wrist: [168, 40],
  left_hip: [284, 288], right_hip: [228, 288], left_knee: [326, 370], right_knee: [186, 370], left_ankle: [350, 456], right_ankle: [162, 456],
};

export function movePose(pose: FigurePose, dx: number, dy: number, scale = 1, cx = 256, cy = 256): FigurePose {
  return Object.fromEntries(COCO_JOINTS.map((j) => [j, [cx + (pose[j][0] - cx) * scale + dx, cy + (pose[j][1] - cy) * scale + dy]])) as unknown as FigurePose;
}

interface Paint {
  readonly skin: string;
  readonly shirt: string;
  readonly trousers: string;
  readonly hair: string;
  readonly shoes: string;
  readonly features: boolean;
}

const COLOURS: Paint = { skin: '#e0ac8a', shirt: '#3a6ea5', trousers: '#2b2b3a', hair: '#4a3020', shoes: '#222222', features: true };
const SILHOUETTE: Paint = { skin: '#fff', shirt: '#fff', trousers: '#fff', hair: '#fff', shoes: '#fff', features: false };

function person(p: FigurePose, c: Paint): string {
  const s = (p.left_shoulder[0] - p.right_shoulder[0]) / 80;
  const line = (a: CocoJoint, b: CocoJoint, width: number, colour: string): string =>
    `<line x1="${p[a][0]}" y1="${p[a][1]}" x2="${p[b][0]}" y2="${p[b][1]}" stroke="${colour}" stroke-width="${width * s}" stroke-linecap="round"/>`;
  const [nx, ny] = p.nose;
  const neckTop = ny + 16 * s;
  const shoulderY = (p.left_shoulder[1] + p.right_shoulder[1]) / 2;
  return [
    line('left_hip', 'left_knee', 34, c.trousers), line('left_knee', 'left_ankle', 30, c.trousers),
    line('right_hip', 'right_knee', 34, c.trousers), line('right_knee', 'right_ankle', 30, c.trousers),
    `<ellipse cx="${p.left_ankle[0] + 10 * s}" cy="${p.left_ankle[1] + 10 * s}" rx="${20 * s}" ry="${9 * s}" fill="${c.shoes}"/>`,
    `<ellipse cx="${p.right_ankle[0] - 10 * s}" cy="${p.right_ankle[1] + 10 * s}" rx="${20 * s}" ry="${9 * s}" fill="${c.shoes}"/>`,
    `<polygon points="${p.right_shoulder[0] - 6 * s},${p.right_shoulder[1] - 6 * s} ${p.left_shoulder[0] + 6 * s},${p.left_shoulder[1] - 6 * s} ${p.left_hip[0] + 8 * s},${p.left_hip[1] + 8 * s} ${p.right_hip[0] - 8 * s},${p.right_hip[1] + 8 * s}" fill="${c.shirt}" stroke="${c.shirt}" stroke-width="${14 * s}" stroke-linejoin="round"/>`,
    line('left_shoulder', 'left_elbow', 26, c.shirt), line('left_elbow', 'left_wrist', 20, c.skin),
    line('right_shoulder', 'right_elbow', 26, c.shirt), line('right_elbow', 'right_wrist', 20, c.skin),
    `<circle cx="${p.left_wrist[0] + 4 * s}" cy="${p.left_wrist[1] + (p.left_wrist[1] > p.left_elbow[1] ? 12 : -12) * s}" r="${12 * s}" fill="${c.skin}"/>`,
    `<circle cx="${p.right_wrist[0] - 4 * s}" cy="${p.right_wrist[1] + (p.right_wrist[1] > p.right_elbow[1] ? 12 : -12) * s}" r="${12 * s}" fill="${c.skin}"/>`,
    `<rect x="${nx - 10 * s}" y="${neckTop}" width="${20 * s}" height="${shoulderY - neckTop}" fill="${c.skin}"/>`,
    `<ellipse cx="${nx}" cy="${ny - 6 * s}" rx="${24 * s}" ry="${30 * s}" fill="${c.skin}"/>`,
    `<path d="M${nx - 24 * s} ${ny - 12 * s} Q${nx - 20 * s} ${ny - 42 * s} ${nx} ${ny - 40 * s} Q${nx + 22 * s} ${ny - 42 * s} ${nx + 25 * s} ${ny - 12 * s} Q${nx + 20 * s} ${ny - 30 * s} ${nx} ${ny - 30 * s} Q${nx - 18 * s} ${ny - 30 * s} ${nx - 24 * s} ${ny - 12 * s} Z" fill="${c.hair}"/>`,
    `<ellipse cx="${p.left_ear[0] + s}" cy="${p.left_ear[1]}" rx="${5 * s}" ry="${8 * s}" fill="${c.skin}"/>`,
    `<ellipse cx="${p.right_ear[0] - s}" cy="${p.right_ear[1]}" rx="${5 * s}" ry="${8 * s}" fill="${c.skin}"/>`,
    ...(c.features
      ? [
          `<circle cx="${p.left_eye[0]}" cy="${p.left_eye[1]}" r="${3 * s}" fill="#222"/>`,
          `<circle cx="${p.right_eye[0]}" cy="${p.right_eye[1]}" r="${3 * s}" fill="#222"/>`,
          `<path d="M${nx} ${ny - 6 * s} L${nx - 4 * s} ${ny + 5 * s} L${nx + 3 * s} ${ny + 5 * s}" stroke="#a0705a" stroke-width="${2 * s}" fill="none"/>`,
          `<path d="M${nx - 8 * s} ${ny + 14 * s} Q${nx} ${ny + 19 * s} ${nx + 8 * s} ${ny + 14 * s}" stroke="#903030" stroke-width="${2.5 * s}" fill="none"/>`,
        ]
      : []),
  ].join('');
}

const BACKGROUND = '<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#dfe6ec"/><stop offset="0.9" stop-color="#c8c0b0"/><stop offset="1" stop-color="#a89f8f"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#bg)"/>';

function svg(width: number, height: number, body: string): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body}</svg>`);
}

/** PNG of the people on a plain backdrop. */
export async function figureImage(poses: readonly FigurePose[], width = 512, height = 512): Promise<Uint8Array> {
  return new Uint8Array(await sharp(svg(width, height, BACKGROUND + poses.map((p) => person(p, COLOURS)).join(''))).png().toBuffer());
}

/** The exact person mask of `figureImage` (W×H, 0 or 255). */
export async function figureMask(poses: readonly FigurePose[], width = 512, height = 512): Promise<Uint8Array> {
  const body = `<rect width="100%" height="100%" fill="#000"/>${poses.map((p) => person(p, SILHOUETTE)).join('')}`;
  const grey = await sharp(svg(width, height, body)).extractChannel(0).raw().toBuffer();
  return Uint8Array.from(grey, (v) => (v >= 128 ? 255 : 0));
}

/** A scene with no one in it: the same backdrop with a table, a lamp and a plant. */
export async function emptyScene(width = 512, height = 512): Promise<Uint8Array> {
  const body = `${BACKGROUND}<rect x="120" y="300" width="260" height="20" fill="#8a5a3a"/><rect x="140" y="320" width="14" height="140" fill="#6a4a2a"/><rect x="346" y="320" width="14" height="140" fill="#6a4a2a"/><rect x="240" y="220" width="8" height="80" fill="#444"/><polygon points="210,220 278,220 260,180 228,180" fill="#e8d28a"/><rect x="400" y="380" width="50" height="70" fill="#b05a3a"/><circle cx="425" cy="350" r="40" fill="#4a8a4a"/>`;
  return new Uint8Array(await sharp(svg(width, height, body)).png().toBuffer());
}
