/** The one place the default name of a result is derived. */
import { promptSlug } from '../output/saveImage';
import type { GenerationRequest } from '../../shared/request';

/** What a result made from a source image is called after: `<image>-<verb>-<seed>`. */
const VERB: Record<GenerationRequest['kind'], string> = { txt2img: 'txt2img', img2img: 'vary', inpaint: 'inpaint', outpaint: 'outpaint' };

/**
 * `<prompt-slug>-<seed>`, or `<source>-<verb>-<seed>` when the result is named after the image it was
 * made from (the canvas: `photo-inpaint-42`; a control image: `pose-openpose-42`).
 */
export function defaultStem(prompt: string, seed: number, from?: { readonly source: string; readonly kind: GenerationRequest['kind']; readonly verb?: string }): string {
  return from ? `${from.source}-${from.verb ?? VERB[from.kind]}-${seed}` : `${promptSlug(prompt)}-${seed}`;
}
