/**
 * Hot-exit backups of a canvas document: a JSON header line (size, pose, edges, extension), then the raw raster
 * layers in RASTER_LAYERS order. Pure, so it is tested without VS Code.
 */
import type { PoseDocument } from '../../shared/canvas/openpose';
import { NO_EXTEND, RASTER_LAYERS, type CanvasExtend, type EdgeSettings, type RasterLayer } from '../../shared/protocol/canvas';
import type { CanvasModel } from './canvasModel';

export function encodeBackup(model: CanvasModel): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ width: model.width, height: model.height, pose: model.pose, edges: model.edges, extend: model.extend }) + '\n');
  const plane = model.width * model.height;
  const out = new Uint8Array(header.length + plane * RASTER_LAYERS.length);
  out.set(header);
  RASTER_LAYERS.forEach((layer, i) => out.set(model.layer(layer), header.length + i * plane));
  return out;
}

/** Restores the layers of `model` from a backup; refuses a backup made for another image size. */
export function decodeBackup(bytes: Uint8Array, model: CanvasModel): void {
  const newline = bytes.indexOf(10);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(0, newline))) as { width: number; height: number; pose: PoseDocument; edges: EdgeSettings; extend?: CanvasExtend };
  if (header.width !== model.width || header.height !== model.height) throw new Error(`backup is ${header.width}×${header.height}, the image is now ${model.width}×${model.height}`);
  const plane = model.width * model.height;
  const expected = newline + 1 + plane * RASTER_LAYERS.length;
  if (bytes.length !== expected) throw new Error(`backup holds ${bytes.length} bytes, expected ${expected}; it is truncated`);
  const layers = Object.fromEntries(RASTER_LAYERS.map((layer, i) => [layer, bytes.slice(newline + 1 + i * plane, newline + 1 + (i + 1) * plane)])) as Record<RasterLayer, Uint8Array>;
  // Backups made before the canvas could be extended have no extend field.
  model.replace(layers, header.pose, header.edges, header.extend ?? NO_EXTEND);
}
