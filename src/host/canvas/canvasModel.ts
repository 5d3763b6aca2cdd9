/**
 * The canvas document's data: base image, raster layers, pose and edge settings, and the edits
 * that changed them. Pure (no vscode): the custom editor wraps it, tests drive it directly. An edit
 * records before and after, taken from the host's own copy, so undo never trusts the webview.
 */
import type { PoseDocument } from '../../shared/canvas/openpose';
import { copyRect, pasteRect, type Rect } from '../../shared/canvas/rect';
import { EXTEND_SIDES, NO_EXTEND, type CanvasExtend, type CanvasSnapshot, type EdgeSettings, type RasterLayer, type ToCanvas } from '../../shared/protocol/canvas';

export type CanvasEdit =
  | { readonly kind: 'raster'; readonly label: string; readonly layer: RasterLayer; readonly rect: Rect; readonly before: Uint8Array; readonly after: Uint8Array }
  | { readonly kind: 'pose'; readonly label: string; readonly before: PoseDocument; readonly after: PoseDocument }
  | { readonly kind: 'edges'; readonly label: string; readonly before: EdgeSettings; readonly after: EdgeSettings }
  | { readonly kind: 'extend'; readonly label: string; readonly before: CanvasExtend; readonly after: CanvasExtend };

export const DEFAULT_EDGES: EdgeSettings = { enabled: false, low: 100, high: 200 };

/** Initial value of each raster layer: nothing masked, a white sketch sheet, a black (far) depth map. */
export const EMPTY_LAYER_VALUE: Readonly<Record<RasterLayer, number>> = { mask: 0, sketch: 255, depth: 0 };

export function emptyLayers(width: number, height: number): Record<RasterLayer, Uint8Array> {
  const make = (layer: RasterLayer): Uint8Array => new Uint8Array(width * height).fill(EMPTY_LAYER_VALUE[layer]);
  return { mask: make('mask'), sketch: make('sketch'), depth: make('depth') };
}

export class CanvasModel {
  private state: { layers: Record<RasterLayer, Uint8Array>; pose: PoseDocument; edges: EdgeSettings; extend: CanvasExtend };

  constructor(
    readonly width: number,
    readonly height: number,
    readonly base: Uint8Array,
    layers: Record<RasterLayer, Uint8Array>,
    pose: PoseDocument,
    edges: EdgeSettings,
    extend: CanvasExtend = NO_EXTEND,
  ) {
    this.state = { layers, pose, edges, extend };
  }

  get pose(): PoseDocument {
    return this.state.pose;
  }
  get edges(): EdgeSettings {
    return this.state.edges;
  }
  get extend(): CanvasExtend {
    return this.state.extend;
  }
  layer(name: RasterLayer): Uint8Array {
    return this.state.layers[name];
  }

  snapshot(): CanvasSnapshot {
    return { width: this.width, height: this.height, base: this.base, layers: { ...this.state.layers }, pose: this.state.pose, edges: this.state.edges, extend: this.state.extend };
  }

  /** Replaces every layer (revert, backup restore). */
  replace(layers: Record<RasterLayer, Uint8Array>, pose: PoseDocument, edges: EdgeSettings, extend: CanvasExtend = NO_EXTEND): void {
    this.state = { layers, pose, edges, extend };
  }

  /** Applies new pixels to a rectangle of a layer; returns the edit, or undefined when nothing changed. */
  paint(layer: RasterLayer, label: string, rect: Rect, pixels: Uint8Array): CanvasEdit | undefined {
    const bitmap = this.state.layers[layer];
    const before = copyRect(bitmap, this.width, rect);
    if (Buffer.from(before).equals(Buffer.from(pixels))) return undefined;
    const after = pixels.slice();
    pasteRect(bitmap, this.width, rect, after);
    return { kind: 'raster', label, layer, rect, before, after };
  }

  setPose(label: string, pose: PoseDocument): CanvasEdit {
    const edit: CanvasEdit = { kind: 'pose', label, before: this.state.pose, after: pose };
    this.state.pose = pose;
    return edit;
  }

  setEdges(edges: EdgeSettings): CanvasEdit | undefined {
    const before = this.state.edges;
    if (before.enabled === edges.enabled && before.low === edges.low && before.high === edges.high) return undefined;
    this.state.edges = edges;
    return { kind: 'edges', label: edges.enabled === before.enabled ? 'Edge thresholds' : edges.enabled ? 'Show edges' : 'Hide edges', before, after: edges };
  }

  /** Sets the sides to add on the next Generate; undefined when nothing changes. */
  setExtend(extend: CanvasExtend): CanvasEdit | undefined {
    const before = this.state.extend;
    const changed = EXTEND_SIDES.filter((side) => before[side] !== extend[side]);
    if (changed.length === 0) return undefined;
    this.state.extend = extend;
    const label = EXTEND_SIDES.every((side) => extend[side] === 0) ? 'Reset canvas extension' : changed.length === 1 ? `Extend canvas ${changed[0]} to ${extend[changed[0]]} px` : 'Extend canvas';
    return { kind: 'extend', label, before, after: extend };
  }

  /** Undoes (or redoes) an edit on the host's copy; returns the message that brings the webview along. */
  apply(edit: CanvasEdit, direction: 'undo' | 'redo'): ToCanvas {
    switch (edit.kind) {
      case 'raster': {
        const pixels = direction === 'undo' ? edit.before : edit.after;
        pasteRect(this.state.layers[edit.layer], this.width, edit.rect, pixels);
        return { type: 'patch', layer: edit.layer, rect: edit.rect, pixels };
      }
      case 'pose':
        this.state.pose = direction === 'undo' ? edit.before : edit.after;
        return { type: 'pose', pose: this.state.pose };
      case 'edges':
        this.state.edges = direction === 'undo' ? edit.before : edit.after;
        return { type: 'edges', edges: this.state.edges };
      case 'extend':
        this.state.extend = direction === 'undo' ? edit.before : edit.after;
        return { type: 'extend', extend: this.state.extend };
    }
  }

  /** True when a layer differs from its empty value (so saving it writes a file). */
  hasContent(layer: RasterLayer): boolean {
    const empty = EMPTY_LAYER_VALUE[layer];
    return this.state.layers[layer].some((v) => v !== empty);
  }
}
