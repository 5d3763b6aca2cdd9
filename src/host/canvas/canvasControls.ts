/**
 * Turns the canvas's control layers into ControlNet inputs (pure): pose → openpose skeleton image,
 * depth → grey depth as RGB, sketch → scribble (or lineart when only that ControlNet is installed)
 * inverted to white strokes on black as those ControlNets were trained, edges → the canny map. Empty layers are skipped with a notice instead of steering towards nothing.
 */
import { rasterizePose } from '../../shared/canvas/openpose';
import { LAYER_CONTROL_TYPES, type CanvasControl, type ControlLayer } from '../../shared/protocol/canvas';
import type { ControlNetSummary, ControlType } from '../../shared/request';
import type { CanvasModel } from './canvasModel';

export interface LayerControl {
  readonly layer: ControlLayer;
  readonly type: ControlType;
  readonly scale: number;
  /** The ControlNet the user chose for the layer; undefined: found by type. */
  readonly controlNetDir?: string;
  /** RGB u8 at the canvas size. */
  readonly rgb: Uint8Array;
}

/** One grey channel → RGB. */
export function greyToRgb(grey: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(grey.length * 3);
  for (let i = 0; i < grey.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = grey[i];
  return rgb;
}

/** The first type the layer accepts that an installed ControlNet has; else the layer's first type (a fused model may have it). */
export function controlTypeFor(layer: ControlLayer, installed: readonly ControlNetSummary[]): ControlType {
  const accepted = LAYER_CONTROL_TYPES[layer];
  return accepted.find((t) => installed.some((cn) => cn.type === t)) ?? accepted[0];
}

/** The host's ids for the installed ControlNets (what the canvas offers and sends back). */
export function controlNetIds(installed: readonly ControlNetSummary[]): Map<string, ControlNetSummary> {
  return new Map(installed.map((cn, i) => [`cn${i}`, cn]));
}

export function layerControls(
  model: CanvasModel,
  controls: readonly CanvasControl[],
  installed: readonly ControlNetSummary[],
  edges: () => Uint8Array,
): { controls: LayerControl[]; notices: string[] } {
  const ids = controlNetIds(installed);
  const out: LayerControl[] = [];
  const notices: string[] = [];
  for (const { layer, scale, controlNet } of controls) {
    let rgb: Uint8Array | undefined;
    if (layer === 'pose') rgb = model.pose.people.length > 0 ? rasterizePose(model.pose) : undefined;
    else if (layer === 'edges') rgb = model.edges.enabled ? greyToRgb(edges()) : undefined;
    else if (layer === 'sketch') rgb = model.hasContent('sketch') ? greyToRgb(model.layer('sketch').map((v) => 255 - v)) : undefined;
    else rgb = model.hasContent(layer) ? greyToRgb(model.layer(layer)) : undefined;
    if (!rgb) {
      notices.push(layer === 'edges' ? 'The edges layer is off (tick "Compute edges from the image"), so it was not used as a control.' : `The ${layer} layer is empty, so it was not used as a control.`);
      continue;
    }
    const chosen = controlNet ? ids.get(controlNet) : undefined;
    if (controlNet && !chosen) notices.push(`The ControlNet chosen for the ${layer} layer is no longer installed; the first ${LAYER_CONTROL_TYPES[layer][0]} ControlNet is used instead.`);
    out.push({ layer, type: chosen?.type ?? controlTypeFor(layer, installed), scale, rgb, controlNetDir: chosen?.dir });
  }
  return { controls: out, notices };
}
