/** Validation of canvas → host messages against the open document's size. */
import type { Person, PoseDocument } from '../../shared/canvas/openpose';
import { rectInside, type Rect } from '../../shared/canvas/rect';
import { CANVAS_PROTOCOL_VERSION, CONTROL_LAYERS, EXTEND_SIDES, MAX_EXTEND, MAX_LAYER_CONTROL_SCALE, RASTER_LAYERS, type CanvasExtend, type EdgeSettings, type FromCanvas } from '../../shared/protocol/canvas';
import { MAX_PIXELS, MAX_PROMPT_CHARS } from '../../shared/request';
import { bool, bytes, finite, integer, InvalidMessage, list, oneOf, record, text } from '../messages/validate';

export const MAX_PEOPLE = 64;

function rect(value: unknown, width: number, height: number): Rect {
  const r = record(value, 'rect');
  const parsed = { x: integer(r.x, 'rect.x', 0, width), y: integer(r.y, 'rect.y', 0, height), width: integer(r.width, 'rect.width', 1, width), height: integer(r.height, 'rect.height', 1, height) };
  if (!rectInside(parsed, width, height)) throw new InvalidMessage(`rect ${parsed.x},${parsed.y} ${parsed.width}×${parsed.height} is not inside the ${width}×${height} canvas`);
  return parsed;
}

function person(value: unknown, i: number, width: number, height: number): Person {
  const keypoints = list(record(value, `people[${i}]`).keypoints, `people[${i}].keypoints`, 18);
  if (keypoints.length !== 18) throw new InvalidMessage(`people[${i}] has ${keypoints.length} keypoints; expected 18`);
  return {
    keypoints: keypoints.map((k, j) => {
      const p = record(k, `people[${i}].keypoints[${j}]`);
      // Joints may sit a little outside the image while dragged; far outside is nonsense.
      return { x: finite(p.x, 'keypoint x', -width, 2 * width), y: finite(p.y, 'keypoint y', -height, 2 * height), visible: bool(p.visible, 'keypoint visible') };
    }),
  };
}

export function parsePose(value: unknown, width: number, height: number): PoseDocument {
  const p = record(value, 'pose');
  if (p.width !== width || p.height !== height) throw new InvalidMessage(`pose is for ${String(p.width)}×${String(p.height)}, the canvas is ${width}×${height}`);
  return { width, height, people: list(p.people, 'pose.people', MAX_PEOPLE).map((v, i) => person(v, i, width, height)) };
}

export function parseEdges(value: unknown): EdgeSettings {
  const e = record(value, 'edges');
  const low = finite(e.low, 'edges.low', 0, 1000);
  const high = finite(e.high, 'edges.high', 0, 1000);
  if (low > high) throw new InvalidMessage(`edges.low (${low}) must not exceed edges.high (${high})`);
  return { enabled: bool(e.enabled, 'edges.enabled'), low, high };
}

/** Each side a whole multiple of 8 up to MAX_EXTEND, and the grown image within the pipeline's pixel limit. */
export function parseExtend(value: unknown, width: number, height: number): CanvasExtend {
  const e = record(value, 'extend');
  const sides = Object.fromEntries(
    EXTEND_SIDES.map((side) => {
      const n = integer(e[side], `extend.${side}`, 0, MAX_EXTEND);
      if (n % 8 !== 0) throw new InvalidMessage(`extend.${side} must be a multiple of 8, got ${n}`);
      return [side, n];
    }),
  ) as unknown as CanvasExtend;
  const w = width + sides.left + sides.right;
  const h = height + sides.top + sides.bottom;
  if (w * h > MAX_PIXELS) throw new InvalidMessage(`extending ${width}×${height} to ${w}×${h} passes the ${MAX_PIXELS}-pixel limit`);
  return sides;
}

/** Parses one message from the canvas webview, or throws InvalidMessage naming the bad field. */
export function parseFromCanvas(message: unknown, width: number, height: number): FromCanvas {
  const m = record(message, 'message');
  switch (m.type) {
    case 'ready':
      if (m.v !== CANVAS_PROTOCOL_VERSION) throw new InvalidMessage(`canvas protocol v${String(m.v)}; this host speaks v${CANVAS_PROTOCOL_VERSION}`);
      return { type: 'ready', v: CANVAS_PROTOCOL_VERSION };
    case 'rasterEdit': {
      const r = rect(m.rect, width, height);
      return { type: 'rasterEdit', layer: oneOf(m.layer, RASTER_LAYERS, 'layer'), label: text(m.label, 'label', 80), rect: r, pixels: bytes(m.pixels, 'pixels', r.width * r.height) };
    }
    case 'poseEdit':
      return { type: 'poseEdit', label: text(m.label, 'label', 80), pose: parsePose(m.pose, width, height) };
    case 'edgesEdit':
      return { type: 'edgesEdit', edges: parseEdges(m.edges) };
    case 'extendEdit':
      return { type: 'extendEdit', extend: parseExtend(m.extend, width, height) };
    case 'import':
      return { type: 'import', what: oneOf(m.what, ['pose', 'depth'] as const, 'what') };
    case 'exportPose':
      return { type: 'exportPose' };
    case 'generate': {
      const o = record(m.options, 'options');
      const controls = list(o.controls, 'options.controls', CONTROL_LAYERS.length).map((v, i) => {
        const c = record(v, `options.controls[${i}]`);
        const controlNet = c.controlNet === undefined ? undefined : text(c.controlNet, 'controlNet', 16);
        if (controlNet !== undefined && !/^cn\d+$/.test(controlNet)) throw new InvalidMessage(`controlNet must be an id the host sent (cn0, cn1 …), got ${JSON.stringify(controlNet)}`);
        return { layer: oneOf(c.layer, CONTROL_LAYERS, 'control layer'), scale: finite(c.scale, 'control scale', 0, MAX_LAYER_CONTROL_SCALE), ...(controlNet ? { controlNet } : {}) };
      });
      if (new Set(controls.map((c) => c.layer)).size !== controls.length) throw new InvalidMessage('options.controls names a layer twice');
      return {
        type: 'generate',
        options: { prompt: text(o.prompt, 'prompt', MAX_PROMPT_CHARS), strength: finite(o.strength, 'strength', 0, 1), maskBlur: integer(o.maskBlur, 'maskBlur', 0, 256), onlyMasked: bool(o.onlyMasked, 'onlyMasked'), controls },
      };
    }
    case 'listControlNets':
    case 'openSettings':
      return { type: m.type };
    case 'detect':
      if (m.what !== 'pose' && m.what !== 'person') throw new InvalidMessage(`what must be "pose" or "person", got ${JSON.stringify(m.what)}`);
      return { type: 'detect', what: m.what };
    case 'upscale':
      if (m.scale !== 2 && m.scale !== 4) throw new InvalidMessage(`scale must be 2 or 4, got ${JSON.stringify(m.scale)}`);
      return { type: 'upscale', scale: m.scale };
    default:
      throw new InvalidMessage(`unknown message type ${JSON.stringify(m.type)}`);
  }
}
