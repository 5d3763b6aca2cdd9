/**
 * Depth gradients: linear (near at the start point, far at the end, constant across) and radial
 * (near at the centre, far at the radius). Pure; writes every pixel of the layer.
 */
import type { Bitmap } from '../mask/maskOps';

export type GradientKind = 'linear' | 'radial';

export interface GradientSpec {
  readonly kind: GradientKind;
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  /** Value at the start / centre (255 = near). */
  readonly near: number;
  /** Value at the end / radius (0 = far). */
  readonly far: number;
}

export function drawGradient_(bitmap: Bitmap, g: GradientSpec): void {
  const dx = g.x1 - g.x0;
  const dy = g.y1 - g.y0;
  const length2 = dx * dx + dy * dy;
  const radius = Math.sqrt(length2);
  for (let y = 0; y < bitmap.height; y++) {
    for (let x = 0; x < bitmap.width; x++) {
      const px = x + 0.5 - g.x0;
      const py = y + 0.5 - g.y0;
      let t: number;
      if (length2 === 0) t = 0;
      else if (g.kind === 'linear') t = (px * dx + py * dy) / length2;
      else t = Math.sqrt(px * px + py * py) / radius;
      t = Math.min(1, Math.max(0, t));
      bitmap.data[y * bitmap.width + x] = Math.round(g.near + (g.far - g.near) * t);
    }
  }
}
