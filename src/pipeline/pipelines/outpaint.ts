/** Outpainting: grow the canvas, fill the new area, mask it, and inpaint with the original pinned. */
import { PipelineError } from '../../shared/errors';
import { MAX_PIXELS, type OutpaintRequest } from '../../shared/request';
import type { RgbImage } from '../ops/decodeImage';
import { GaussianNoise } from '../random/gaussian';
import type { LoadedModel } from '../runtime/loadedModel';
import { checkRequest } from '../../shared/checkRequest';
import type { PipelineHooks, PipelineOutput } from './hooks';
import { repaintMasked } from './inpaint';

export interface ExtendedCanvas {
  readonly image: RgbImage;
  /** 255 in the new area (repaint), 0 over the original (kept exactly: the seam is feathered inward). */
  readonly mask: Uint8Array;
}

/** Builds the larger canvas: the original at its offset, the new area filled by edge extension or noise. */
export function extendCanvas(init: RgbImage, extend: OutpaintRequest['extend'], fill: OutpaintRequest['fill'], seed: number): ExtendedCanvas {
  const width = init.width + extend.left + extend.right;
  const height = init.height + extend.top + extend.bottom;
  const rgb = new Uint8Array(width * height * 3);
  const mask = new Uint8Array(width * height);
  const random = new GaussianNoise(seed);
  for (let y = 0; y < height; y++) {
    const sy = y - extend.top;
    for (let x = 0; x < width; x++) {
      const sx = x - extend.left;
      const inside = sx >= 0 && sy >= 0 && sx < init.width && sy < init.height;
      const i = y * width + x;
      if (!inside) mask[i] = 255;
      for (let c = 0; c < 3; c++) {
        if (inside || fill === 'edge') {
          const cx = Math.min(init.width - 1, Math.max(0, sx));
          const cy = Math.min(init.height - 1, Math.max(0, sy));
          rgb[i * 3 + c] = init.rgb[(cy * init.width + cx) * 3 + c];
        } else {
          rgb[i * 3 + c] = Math.floor(random.nextUniform() * 256);
        }
      }
    }
  }
  return { image: { width, height, rgb }, mask };
}

export async function outpaint(model: LoadedModel, request: OutpaintRequest, init: RgbImage, hooks: PipelineHooks = {}): Promise<PipelineOutput> {
  // 1. Check inputs, including the grown size against the pixel limit.
  checkRequest(request);
  const { left, right, top, bottom } = request.extend;
  const width = init.width + left + right;
  const height = init.height + top + bottom;
  if (width * height > MAX_PIXELS) {
    throw new PipelineError('INVALID_INPUT', `outpainting ${init.width}×${init.height} by ${left},${right},${top},${bottom} gives ${width}×${height}, more than the ${MAX_PIXELS}-pixel limit; extend less`, { argument: 'extend' });
  }

  // 2. Grow and fill the canvas, mask the new area.
  const canvas = extendCanvas(init, request.extend, request.fill, request.sampling.seed);

  // 3. Inpaint the new area (the seam is feathered inward, inside it, so the original stays exact).
  return repaintMasked(model, request, canvas.image, { width, height, data: canvas.mask }, hooks);
}
