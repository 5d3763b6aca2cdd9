/**
 * How single-channel layers look on screen (RGBA), rendered for a dirty rectangle only so painting
 * on a large canvas stays cheap. Pure.
 */
import type { Rect } from '../../../shared/canvas/rect';
import type { RasterLayer } from '../../../shared/protocol/canvas';

/** Mask tint (white = repaint shows as this colour at the mask's strength). */
const MASK_TINT = [255, 64, 96];

/** Writes the display pixels of `rect` of a layer into `rgba` (a W×H RGBA buffer). */
export function renderLayerRect(layer: RasterLayer | 'edges', source: Uint8Array, width: number, rect: Rect, rgba: Uint8ClampedArray): void {
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const i = y * width + x;
      const v = source[i];
      const o = i * 4;
      switch (layer) {
        case 'mask':
          rgba[o] = MASK_TINT[0];
          rgba[o + 1] = MASK_TINT[1];
          rgba[o + 2] = MASK_TINT[2];
          rgba[o + 3] = v;
          break;
        case 'sketch':
          // Black strokes on a white sheet; the sheet is see-through so the image stays visible.
          rgba[o] = rgba[o + 1] = rgba[o + 2] = 0;
          rgba[o + 3] = 255 - v;
          break;
        case 'depth':
          rgba[o] = rgba[o + 1] = rgba[o + 2] = v;
          rgba[o + 3] = 255;
          break;
        case 'edges':
          rgba[o] = rgba[o + 1] = rgba[o + 2] = 255;
          rgba[o + 3] = v;
          break;
      }
    }
  }
}
