/**
 * Turns a finished generation into an image file, PNG unless the target's extension asks for JPEG or
 * WebP, with A1111 parameters unless metadata is off (PNG iTXt, JPEG/WebP EXIF UserComment).
 */
import path from 'node:path';
import type { GenerationRequest, GenerationResult } from '../../shared/request';
import { a1111LoraHashes } from '../../shared/convert';
import { ATELIER_VERSION } from '../../shared/version';
import { encodeAs } from '../images/imageCodec';
import { formatOfExtension, withParameters } from './imageMetadata';
import { formatParameters } from './parameters';
import { saveNewFile } from './saveImage';

export interface SaveTarget {
  readonly dir: string;
  /** File name without extension (the job builder derives the default one). */
  readonly stem: string;
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
  /** LoRAs merged into a converted checkpoint (name without extension, A1111 short hash): the "Lora hashes" field. */
  readonly loras?: readonly { readonly name: string; readonly shortHash: string }[];
}

/** The A1111 `parameters` text of a generation. */
export function parametersFor(request: GenerationRequest, result: GenerationResult, options: SaveOptions): string {
  return formatParameters({
    prompt: request.prompt,
    negativePrompt: request.negativePrompt,
    steps: result.steps,
    sampler: result.sampler,
    guidanceScale: result.guidanceScale ?? request.sampling.guidanceScale,
    seed: result.seed,
    width: result.width,
    height: result.height,
    model: options.modelName,
    ...(result.server ? { backend: `ComfyUI${result.server.version ? ` ${result.server.version}` : ''}` } : { executionProvider: result.executionProvider }),
    version: ATELIER_VERSION,
    ...(request.kind !== 'txt2img' ? { denoisingStrength: request.strength, initImage: options.initImageLabel } : {}),
    ...(request.kind === 'inpaint' ? { mask: options.maskLabel, maskBlur: request.maskBlur, onlyMaskedPadding: request.onlyMasked?.padding } : {}),
    ...(request.kind === 'outpaint' ? { maskBlur: request.maskBlur, outpaint: [request.extend.left, request.extend.right, request.extend.top, request.extend.bottom].join(',') } : {}),
    mode: request.kind,
    controlNets: result.controlNets.map((c, i) => ({ type: c.type, model: path.basename(c.model), weight: c.scale, start: c.start, end: c.end, image: options.controlLabels?.[i] })),
    ...(options.loras && options.loras.length > 0 ? { loraHashes: a1111LoraHashes(options.loras) } : {}),
  });
}

/** The worker's PNG in the format `ext` names (PNG when it names none Atelier writes), with parameters unless off. */
export async function encodedFor(png: Uint8Array, ext: string, parameters: string | undefined, size: { width: number; height: number }): Promise<Uint8Array> {
  const format = formatOfExtension(ext) ?? 'png';
  const image = format === 'png' ? png : await encodeAs(png, format);
  return parameters === undefined ? image : withParameters(image, parameters, size);
}

export async function saveGenerated(request: GenerationRequest, result: GenerationResult, target: SaveTarget, options: SaveOptions): Promise<string> {
  const ext = target.ext ?? '.png';
  return saveNewFile(target.dir, target.stem, ext, await encodedFor(result.png, ext, options.writeMetadata ? parametersFor(request, result, options) : undefined, result));
}
