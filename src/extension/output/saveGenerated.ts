/** Turns a finished generation into a PNG file (with A1111 parameters unless metadata is off). */
import path from 'node:path';
import type { GenerationRequest, GenerationResult } from '../../shared/request';
import { ATELIER_VERSION } from '../../shared/version';
import { formatParameters } from './parameters';
import { insertITxt } from './pngText';
import { promptSlug, saveNewFile } from './saveImage';

export interface SaveTarget {
  readonly dir: string;
  /** File name without extension; defaults to `<prompt-slug>-<seed>`. */
  readonly stem?: string;
  readonly ext?: string;
}

export interface SaveOptions {
  readonly writeMetadata: boolean;
  /** Shown as `Model:` in the parameters (a folder name, never a full path). */
  readonly modelName: string;
  /** img2img: how to name the init image in the metadata (workspace-relative path or file name). */
  readonly initImageLabel?: string;
  readonly maskLabel?: string;
  /** One label per control image, in request order (workspace-relative path, file name or canvas layer). */
  readonly controlLabels?: readonly string[];
}

export function pngBytesFor(request: GenerationRequest, result: GenerationResult, options: SaveOptions): Uint8Array {
  if (!options.writeMetadata) return result.png;
  const text = formatParameters({
    prompt: request.prompt,
    negativePrompt: request.negativePrompt,
    steps: result.steps,
    sampler: result.sampler,
    guidanceScale: request.sampling.guidanceScale,
    seed: result.seed,
    width: result.width,
    height: result.height,
    model: options.modelName,
    executionProvider: result.executionProvider,
    version: ATELIER_VERSION,
    ...(request.kind !== 'txt2img' ? { denoisingStrength: request.strength, initImage: options.initImageLabel } : {}),
    ...(request.kind === 'inpaint' ? { mask: options.maskLabel, maskBlur: request.maskBlur, onlyMaskedPadding: request.onlyMasked?.padding } : {}),
    ...(request.kind === 'outpaint' ? { maskBlur: request.maskBlur, outpaint: [request.extend.left, request.extend.right, request.extend.top, request.extend.bottom].join(',') } : {}),
    mode: request.kind,
    controlNets: result.controlNets.map((c, i) => ({ type: c.type, model: path.basename(c.model), weight: c.scale, start: c.start, end: c.end, image: options.controlLabels?.[i] })),
  });
  return insertITxt(result.png, 'parameters', text);
}

export async function saveGenerated(request: GenerationRequest, result: GenerationResult, target: SaveTarget, options: SaveOptions): Promise<string> {
  const stem = target.stem ?? `${promptSlug(request.prompt)}-${result.seed}`;
  return saveNewFile(target.dir, stem, target.ext ?? '.png', pngBytesFor(request, result, options));
}
