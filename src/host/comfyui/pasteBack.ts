/**
 * Inpainting on a server returns a whole new image: the host pastes it onto the original with the same
 * inward seam as the local pipeline, so pixels outside the mask come back byte-identical. Pure.
 */
import { featherInward } from '../../shared/imageMath/featherInward';
import type { RawImage } from './workflowInput';

/**
 * `original` and `generated` are RGB u8 of one size; `mask` one grey byte per pixel (≥ 128 = repaint).
 * Where the seam weight is 0 (every unpainted pixel) the original's bytes are copied as they are.
 */
export function pasteBack(original: RawImage, generated: RawImage, mask: Uint8Array, maskBlur: number): RawImage {
  const { width, height } = original;
  if (original.channels !== 3 || generated.channels !== 3 || generated.width !== width || generated.height !== height || mask.length !== width * height) {
    throw new RangeError(`paste-back needs RGB images and a mask of one size, got ${width}×${height}×${original.channels}, ${generated.width}×${generated.height}×${generated.channels} and ${mask.length} mask bytes`);
  }
  const seam = featherInward(mask, width, height, maskBlur);
  const out = original.data.slice();
  for (let i = 0; i < seam.length; i++) {
    const m = seam[i];
    if (m <= 0) continue;
    for (let c = 0; c < 3; c++) {
      const k = i * 3 + c;
      out[k] = m >= 1 ? generated.data[k] : Math.round(original.data[k] * (1 - m) + generated.data[k] * m);
    }
  }
  return { width, height, channels: 3, data: out };
}
