/**
 * Saves an upscaled image as a new file beside its source (`name@2x.png`; never over a file), keeping
 * the source's generation parameters and recording the upscaler the way A1111's Extras tab does.
 */
import path from 'node:path';
import type { UpscaleResult } from '../../shared/request';
import { insertITxt, readTextChunks } from './pngText';
import { saveNewFile, splitOutputPath } from './saveImage';

/** The `postprocessing` text: "Postprocess upscale by: 2, Postprocess upscaler: ESRGAN slim 2× (…)". */
export function postprocessingText(result: Pick<UpscaleResult, 'scale' | 'upscaler' | 'source'>): string {
  return `Postprocess upscale by: ${result.scale}, Postprocess upscaler: ${JSON.stringify(`${result.upscaler} (${result.source})`)}`;
}

export function upscaledPngBytes(source: Uint8Array, result: Pick<UpscaleResult, 'png' | 'scale' | 'upscaler' | 'source'>, writeMetadata: boolean): Uint8Array {
  if (!writeMetadata) return result.png;
  let png = result.png;
  const parameters = readTextChunks(source).get('parameters');
  if (parameters) png = insertITxt(png, 'parameters', parameters);
  return insertITxt(png, 'postprocessing', postprocessingText(result));
}

/** `out` names the file; by default it is `<name>@<scale>x.png` beside the source. */
export async function saveUpscaled(sourceFile: string, source: Uint8Array, result: UpscaleResult, options: { readonly writeMetadata: boolean; readonly out?: string }): Promise<string> {
  const target = options.out ? splitOutputPath(options.out) : { dir: path.dirname(sourceFile), stem: `${path.basename(sourceFile, path.extname(sourceFile))}@${result.scale}x`, ext: '.png' };
  return saveNewFile(target.dir, target.stem, target.ext, upscaledPngBytes(source, result, options.writeMetadata));
}
