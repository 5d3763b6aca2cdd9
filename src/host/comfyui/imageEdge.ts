/**
 * Images at the network edge (sharp, loaded on first use): raw pixels → PNG for uploads; server bytes →
 * raw pixels, after checking the format by its signature and the size from the header, so a lying,
 * huge or broken image is refused before it is decoded.
 */
import type { Sharp, SharpOptions } from 'sharp';
import { PipelineError } from '../../shared/errors';
import type { RawImage } from './workflowInput';

type SharpFactory = (input?: Uint8Array, options?: SharpOptions) => Sharp;
let factory: SharpFactory | undefined;
async function sharp(input: Uint8Array, options: SharpOptions): Promise<Sharp> {
  factory ??= ((await import('sharp')) as unknown as { default: SharpFactory }).default;
  return factory(input, options);
}

/** What a result must look like: an exact size, or (upscaling) a whole multiple of the input's. */
export type SizeRule =
  | { readonly exactly: { readonly width: number; readonly height: number } }
  | { readonly multipleOf: { readonly width: number; readonly height: number }; readonly maxPixels: number };

/**
 * Encodes pixels for `POST /upload/image` (one channel stays grey, as masks are read by LoadImageMask).
 * Measured on a 2048² photo: stored (level 0) 12.6 MB in ~20–70 ms; level 1 without filters 10.3 MB in
 * ~300 ms; level 1 with adaptive filtering 2.6 MB in ~500 ms. On loopback bytes are free, so nothing is
 * compressed; over a network the filtered PNG is 5× smaller, which pays for its encoding below ~100 Mbit/s.
 */
export async function encodeUpload(image: RawImage, loopback: boolean): Promise<Uint8Array> {
  const input = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  const png = loopback ? { compressionLevel: 0 } : { compressionLevel: 1, adaptiveFiltering: true };
  const out = await (image.channels === 1 ? input.toColourspace('b-w') : input).png(png).toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function formatOf(bytes: Uint8Array): 'png' | 'jpeg' | 'webp' | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 12 && String.fromCharCode(...bytes.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP') return 'webp';
  return undefined;
}

function printable(bytes: Uint8Array): string {
  return JSON.stringify(Buffer.from(bytes.subarray(0, 16)).toString('latin1').replace(/[^\x20-\x7e]/g, '.'));
}

function sizeProblem(width: number, height: number, rule: SizeRule): string | undefined {
  if ('exactly' in rule) {
    const e = rule.exactly;
    return width === e.width && height === e.height ? undefined : `a ${width}×${height} image where ${e.width}×${e.height} was asked for`;
  }
  const m = rule.multipleOf;
  const scale = width / m.width;
  if (width * height > rule.maxPixels) return `a ${width}×${height} image, above the ${(rule.maxPixels / 1e6).toFixed(1)} Mpx accepted`;
  if (!Number.isInteger(scale) || scale < 1 || height !== m.height * scale) return `a ${width}×${height} image, not a whole multiple of the ${m.width}×${m.height} input`;
  return undefined;
}

/** Decodes a result from `/view` to RGB after checking format and size; `who` names the server. */
export async function decodeResult(bytes: Uint8Array, rule: SizeRule, who: string): Promise<RawImage> {
  const format = formatOf(bytes);
  if (!format) throw new PipelineError('BACKEND_INCOMPATIBLE', `${who} sent ${bytes.length} bytes that are not a PNG, JPEG or WebP image (they start with ${printable(bytes)})`);
  let meta: { width?: number; height?: number };
  try {
    meta = await (await sharp(bytes, { limitInputPixels: false })).metadata();
  } catch (error) {
    throw new PipelineError('BACKEND_INCOMPATIBLE', `${who} sent a damaged ${format.toUpperCase()} (${(error as Error).message})`);
  }
  const problem = sizeProblem(meta.width ?? 0, meta.height ?? 0, rule);
  if (problem) throw new PipelineError('BACKEND_INCOMPATIBLE', `${who} sent ${problem}; refusing it`);
  try {
    const { data, info } = await (await sharp(bytes, { limitInputPixels: (meta.width ?? 0) * (meta.height ?? 0) }))
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels`);
    return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    throw new PipelineError('BACKEND_INCOMPATIBLE', `${who} sent a ${format.toUpperCase()} that cannot be decoded (${(error as Error).message}); it may be truncated`);
  }
}

/** Largest preview decoded (previews are latent-sized, at most a few hundred pixels a side). */
export const MAX_PREVIEW_PIXELS = 2048 * 2048;

/** Decodes a preview frame to RGB; undefined (skipped) when it is not a small JPEG/PNG/WebP. */
export async function decodePreview(bytes: Uint8Array): Promise<{ width: number; height: number; rgb: Uint8Array } | undefined> {
  if (!formatOf(bytes)) return undefined;
  try {
    const { data, info } = await (await sharp(bytes, { limitInputPixels: MAX_PREVIEW_PIXELS })).toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return info.channels === 3 ? { width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) } : undefined;
  } catch {
    return undefined;
  }
}
