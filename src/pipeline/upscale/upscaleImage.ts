/** Upscaling an image file, as numbered steps: decode and check, tile through the network, resize the alpha, encode. */
import sharp from 'sharp';
import { PipelineError } from '../../shared/errors';
import { MAX_UPSCALE_OUTPUT_PIXELS, UPSCALE_FACTORS, UPSCALER_MODELS, type UpscaleRequest } from '../../shared/request';
import type { Session } from '../backends/onnx';
import { decodeForUpscale } from '../ops/decodeImage';
import { extendEdges } from '../ops/extendEdges';
import { checkpoint } from '../pipelines/stages';
import { defaultTiles, upscaleRgb } from './upscaleRgb';

export interface UpscaleHooks {
  readonly signal?: AbortSignal;
  onProgress?(tile: number, tiles: number): void;
  /** Told what the user should know (the first frame of an animation was used). */
  onWarning?(message: string): void;
}

export interface UpscaledImage {
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly hasAlpha: boolean;
  readonly tiles: number;
}

export function checkUpscaleRequest(request: UpscaleRequest): void {
  if (!(UPSCALE_FACTORS as readonly number[]).includes(request.scale)) {
    throw new PipelineError('INVALID_INPUT', `scale must be one of ${UPSCALE_FACTORS.join(', ')}, got ${String(request.scale)}`, { argument: 'scale' });
  }
  if (!(UPSCALER_MODELS as readonly string[]).includes(request.model)) {
    throw new PipelineError('INVALID_INPUT', `model must be ${UPSCALER_MODELS.join(' or ')}, got ${JSON.stringify(request.model)}`, { argument: 'model' });
  }
  if (!(request.image instanceof Uint8Array) || request.image.length === 0) throw new PipelineError('INVALID_INPUT', 'image must be the bytes of a PNG, JPEG or WebP image', { argument: 'image' });
  if (request.tileCore !== undefined && (!Number.isInteger(request.tileCore) || request.tileCore < 16 || request.tileCore > 4096)) {
    throw new PipelineError('INVALID_INPUT', `tileCore must be a whole number of pixels from 16 to 4096, got ${String(request.tileCore)}`, { argument: 'tileCore' });
  }
}

/** `receptiveRadius` comes from the upscaler's upscaler.json (the converter computes it). */
export async function upscaleImage(session: Session, request: UpscaleRequest, receptiveRadius: number, hooks: UpscaleHooks = {}): Promise<UpscaledImage> {
  // 1. Check the request and the image; the result must stay under the output limit.
  checkUpscaleRequest(request);
  const image = await decodeForUpscale(request.image, 'image', (message) => hooks.onWarning?.(message));
  const width = image.width * request.scale;
  const height = image.height * request.scale;
  if (width * height > MAX_UPSCALE_OUTPUT_PIXELS) {
    throw new PipelineError('INVALID_INPUT', `upscaling ${image.width}×${image.height} by ${request.scale} gives ${width}×${height}, more than the ${MAX_UPSCALE_OUTPUT_PIXELS}-pixel limit (8192×8192); use a smaller factor or a crop`, { argument: 'scale' });
  }

  // 2. The network, tile by tile (cancel between tiles), on the image grown by a context margin of its
  //    own edge pixels and trimmed back: at the border the network sees the image continue, not the
  //    zeros of its convolution padding, which darkened every border and turned a tiny image's whole
  //    colour (a 1×1 (200,100,50) came out (1,2,2)).
  const defaults = defaultTiles(request.scale, receptiveRadius);
  const tiles = request.tileCore ? { ...defaults, core: request.tileCore } : defaults;
  const m = tiles.margin;
  const grown = { width: image.width + 2 * m, height: image.height + 2 * m, rgb: extendEdges(image.rgb, image.width, image.height, 3, { left: m, right: m, top: m, bottom: m }) };
  let count = 0;
  const rgb = await upscaleRgb(session, grown, {
    scale: request.scale,
    tiles,
    trim: m,
    beforeTile: async (index, total) => {
      count = total;
      await checkpoint(hooks.signal, 'upscaling');
      hooks.onProgress?.(index, total);
    },
  });

  // 3. Transparency is kept: the alpha channel is resized (Lanczos) to the new size (sharp returns one
  //    grey plane as three channels unless told to extract it).
  const alpha = image.alpha ? await sharp(Buffer.from(image.alpha), { raw: { width: image.width, height: image.height, channels: 1 } }).resize(width, height, { kernel: 'lanczos3', fit: 'fill' }).extractChannel(0).raw().toBuffer() : undefined;

  // 4. Encode.
  const raw = alpha ? interleaveAlpha(rgb.rgb, alpha) : rgb.rgb;
  const png = await sharp(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), { raw: { width, height, channels: alpha ? 4 : 3 } }).png({ compressionLevel: 6 }).toBuffer();
  return { png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength), width, height, hasAlpha: alpha !== undefined, tiles: count };
}

function interleaveAlpha(rgb: Uint8Array, alpha: Uint8Array): Uint8Array {
  const out = new Uint8Array(alpha.length * 4);
  for (let i = 0; i < alpha.length; i++) {
    out[i * 4] = rgb[i * 3];
    out[i * 4 + 1] = rgb[i * 3 + 1];
    out[i * 4 + 2] = rgb[i * 3 + 2];
    out[i * 4 + 3] = alpha[i];
  }
  return out;
}
