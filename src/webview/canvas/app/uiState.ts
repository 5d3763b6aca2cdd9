/**
 * The canvas's small UI state (tool, brush, layer looks, generate options), kept with setState so a
 * rebuilt webview comes back as it was. The table says, per field, how a stored value is checked.
 */
import { MAX_LAYER_CONTROL_SCALE, type ControlLayer } from '../../../shared/protocol/canvas';
import type { ShownLayer } from './stage';

export type Tool = 'brush' | 'eraser' | 'linear' | 'radial' | 'pose';

export const LAYER_LABELS: Record<ShownLayer, string> = { mask: 'Mask', sketch: 'Sketch', depth: 'Depth', edges: 'Edges', pose: 'Pose' };
export const TOOL_LABELS: Record<Tool, string> = { brush: 'Brush (B)', eraser: 'Eraser (E)', linear: 'Linear gradient (G)', radial: 'Radial gradient (R)', pose: 'Move joints (Shift: whole person)' };
/** The tools each layer offers (the first is the default). */
export const TOOLS_FOR: Record<ShownLayer, readonly Tool[]> = { mask: ['brush', 'eraser'], sketch: ['brush', 'eraser'], depth: ['brush', 'eraser', 'linear', 'radial'], pose: ['pose'], edges: [] };


export interface CanvasUiState {
  layer: ShownLayer;
  tool: Tool;
  brushRadius: number;
  hardness: number;
  /** Grey value the depth brush paints (255 = near). */
  depthValue: number;
  visible: Record<ShownLayer, boolean>;
  opacity: Record<ShownLayer, number>;
  prompt: string;
  strength: number;
  maskBlur: number;
  controls: Record<ControlLayer, boolean>;
  /** ControlNet strength per control layer. */
  controlScale: Record<ControlLayer, number>;
  /** The ControlNet chosen per layer (a host id), '' for automatic. */
  controlNetChoice: Record<ControlLayer, string>;
  onlyMasked: boolean;
}

export const DEFAULT_UI_STATE: CanvasUiState = {
  layer: 'mask',
  tool: 'brush',
  brushRadius: 24,
  hardness: 0.8,
  depthValue: 255,
  visible: { mask: true, sketch: true, depth: false, edges: true, pose: true },
  opacity: { mask: 0.55, sketch: 1, depth: 0.7, edges: 0.8, pose: 1 },
  prompt: '',
  strength: 0.75,
  maskBlur: 8,
  controls: { pose: false, depth: false, sketch: false, edges: false },
  controlScale: { pose: 1, depth: 1, sketch: 1, edges: 1 },
  controlNetChoice: { pose: '', depth: '', sketch: '', edges: '' },
  onlyMasked: false,
};

const isNumberIn = (min: number, max: number) => (v: unknown): boolean => typeof v === 'number' && v >= min && v <= max;
const isRecordOf = (check: (v: unknown) => boolean) => (v: unknown): boolean => typeof v === 'object' && v !== null && Object.values(v).every(check);

const VALID: Record<keyof CanvasUiState, (value: unknown) => boolean> = {
  layer: (v) => ['mask', 'sketch', 'depth', 'edges', 'pose'].includes(v as string),
  tool: (v) => ['brush', 'eraser', 'linear', 'radial', 'pose'].includes(v as string),
  brushRadius: isNumberIn(1, 512),
  hardness: isNumberIn(0, 1),
  depthValue: isNumberIn(0, 255),
  visible: isRecordOf((v) => typeof v === 'boolean'),
  opacity: isRecordOf(isNumberIn(0, 1)),
  prompt: (v) => typeof v === 'string',
  strength: isNumberIn(0, 1),
  maskBlur: isNumberIn(0, 256),
  controls: isRecordOf((v) => typeof v === 'boolean'),
  controlScale: isRecordOf(isNumberIn(0, MAX_LAYER_CONTROL_SCALE)),
  controlNetChoice: isRecordOf((v) => typeof v === 'string' && /^(cn\d+)?$/.test(v)),
  onlyMasked: (v) => typeof v === 'boolean',
};

/** Stored state merged over the defaults, field by field; anything malformed falls back. */
export function restoreUiState(stored: Partial<Record<string, unknown>>): CanvasUiState {
  const state = structuredClone(DEFAULT_UI_STATE);
  for (const key of Object.keys(VALID) as (keyof CanvasUiState)[]) {
    const value = stored[key];
    if (value === undefined || !VALID[key](value)) continue;
    if (typeof value === 'object') Object.assign(state[key] as object, value);
    else (state as unknown as Record<string, unknown>)[key] = value;
  }
  return state;
}
