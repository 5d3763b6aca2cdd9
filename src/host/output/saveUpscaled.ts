/**
 * Saves an upscaled image as a new file (`name@2x.png` beside its source by default; never over a
 * file), keeping the source's generation parameters (read from its PNG text or JPEG/WebP EXIF) and,
 * in a PNG, recording the upscaler the way A1111's Extras tab does.
 */
import path from 'node:path';
import type { UpscaleResult } from '../../shared/request';
import { readParameters } from './imageMetadata';
import { insertITxt } from './pngText';
import { saveNewFile } from './saveImage';
import { encodedFor } from './saveGenerated';
import type { OutputTarget } from './outputTarget';

/** The `postprocessing` text: "Postprocess upscale by: 2, Postprocess upscaler: ESRGAN slim 2× (…)". */
export function postprocessingText(result: Pick<UpscaleResult, 'upscaler' | 'source'> & { readonly scale: number }): string {
  return `Postprocess upscale by: ${result.scale}, Postprocess upscaler: ${JSON.stringify(`${result.upscaler} (${result.source})`)}`;
}

/**
 * The upscaled image in the format `ext` names. PNG keeps the source's `parameters` and adds
 * `postprocessing`; JPEG and WebP carry the source's parameters in EXIF, as A1111 saves them (its
 * JPEG/WebP have no place for the postprocessing text).
 */
export async function upscaledBytes(source: Uint8Array, result: Pick<UpscaleResult, 'png' | 'upscaler' | 'source' | 'width' | 'height'> & { readonly scale: number }, ext: string, writeMetadata: boolean): Promise<Uint8Array> {
  if (!writeMetadata) return encodedFor(result.png, ext, undefined, result);
  const parameters = readParameters(source);
  const encoded = await encodedFor(result.png, ext, parameters, result);
  return ext.toLowerCase() === '.png' ? insertITxt(encoded, 'postprocessing', postprocessingText(result)) : encoded;
}

/** The default target: `<name>@<scale>x.png` beside the source. */
export function upscaleTarget(sourceFile: string, scale: number): OutputTarget {
  return { dir: path.dirname(sourceFile), stem: `${path.basename(sourceFile, path.extname(sourceFile))}@${scale}x`, ext: '.png' };
}

export async function saveUpscaled(source: Uint8Array, result: UpscaleResult, target: OutputTarget, options: { readonly writeMetadata: boolean }): Promise<string> {
  return saveNewFile(target.dir, target.stem, target.ext, await upscaledBytes(source, result, target.ext, options.writeMetadata));
}
