/**
 * The one image decoder behind every entry point: generate's init image, mask and control images,
 * upscale, detect, the canvas and its layer files. sharp is passed in (the pipeline imports it, the
 * host loads it on first use), so the worker and the host run this same code:
 *
 * - formats: PNG, JPEG and WebP; GIF, TIFF and AVIF too, of which the first frame (page) is used,
 *   with a notice when there are more. Anything else (SVG, PDF, HEIC, RAW …) is refused by name;
 * - the size is checked from the header, before anything is decoded;
 * - the EXIF orientation is applied here, once, so a portrait phone photo is upright everywhere;
 * - CMYK, grey and 16-bit images become 8-bit sRGB (or grey), unless the caller refuses them.
 */
import { PipelineError } from '../errors';

/** The extensions of the images Atelier reads (lower case, no dot). */
export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'tif', 'tiff', 'avif'] as const;

/** How the accepted formats are named in messages. */
export const READABLE_FORMATS = 'PNG, JPEG and WebP images, and the first frame of GIF, TIFF and AVIF';

/** What the decoder reads from sharp's metadata (a subset of sharp's `Metadata`). */
export interface ImageHeader {
  readonly format?: string;
  readonly width?: number;
  readonly height?: number;
  readonly pages?: number;
  readonly orientation?: number;
  readonly space?: string;
  readonly depth?: string;
  readonly channels?: number;
  readonly hasAlpha?: boolean;
  readonly compression?: string;
}

/** The part of a sharp instance the decoder uses; sharp's own `Sharp` satisfies it. */
export interface SharpLike {
  metadata(): Promise<ImageHeader>;
  toColourspace(space: string): SharpLike;
  ensureAlpha(): SharpLike;
  removeAlpha(): SharpLike;
  flatten(options: { background: string }): SharpLike;
  extractChannel(channel: 0): SharpLike;
  raw(): SharpLike;
  toBuffer(options: { resolveWithObject: true }): Promise<{ data: Uint8Array; info: { width: number; height: number; channels: number } }>;
}

/** sharp's default export: `sharp(bytes, options)`. */
export type SharpFactory = (input: Uint8Array, options: { limitInputPixels: number | false; autoOrient?: boolean; page?: number; pages?: number }) => SharpLike;

export interface UprightHeader {
  /** The size as shown, after the EXIF orientation. */
  readonly width: number;
  readonly height: number;
  readonly header: ImageHeader;
  /** The first frame is used of an image with more; undefined when it has one. */
  readonly frames?: number;
}

/** Whom to blame in a message: the file or request field, and the argument code errors carry. */
export interface ImageSource {
  /** How messages name the image ("photo.jpg", "initImage", "control 1 (depth) image"). */
  readonly name: string;
  /** The request field or CLI argument at fault (defaults to `name`). */
  readonly argument?: string;
}

/** sharp's names of formats Atelier refuses, where upper case does not name them ("… is in SVG format"). */
const FORMAT_NAMES: Readonly<Record<string, string>> = { jp2k: 'JPEG 2000', jxl: 'JPEG XL', magick: 'an ImageMagick', raw: 'a raw pixel', dcraw: 'a camera RAW', openslide: 'a whole-slide', rad: 'Radiance HDR' };
const ACCEPTED = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff', 'heif']);

function refuse(source: ImageSource, message: string): PipelineError {
  return new PipelineError('INVALID_INPUT', message, { argument: source.argument ?? source.name });
}

/** Width and height as displayed: EXIF orientations 5–8 swap them. */
export function uprightSize(header: ImageHeader): { width: number; height: number } {
  const width = header.width ?? 0;
  const height = header.height ?? 0;
  return (header.orientation ?? 1) >= 5 ? { width: height, height: width } : { width, height };
}

/**
 * Checks a header against what Atelier reads (pure): the format, a size within `maxPixels`, and the
 * frame count. Returns the upright size; throws INVALID_INPUT naming the image and the fix.
 */
export function checkHeader(header: ImageHeader, source: ImageSource, maxPixels: number): UprightHeader {
  const format = header.format ?? 'unknown';
  if (!ACCEPTED.has(format)) {
    throw refuse(source, `${source.name} is in ${format === 'unknown' ? 'an unknown' : FORMAT_NAMES[format] ?? format.toUpperCase()} format; Atelier reads ${READABLE_FORMATS} (convert it to PNG first)`);
  }
  if (format === 'heif' && header.compression !== 'av1') {
    throw refuse(source, `${source.name} is a HEIC (HEVC) image, which cannot be decoded here; export it as JPEG or PNG (AVIF works)`);
  }
  const { width, height } = uprightSize(header);
  if (width < 1 || height < 1) throw refuse(source, `${source.name} has no image size in its header`);
  if (width * height > maxPixels) {
    throw refuse(source, `${source.name} is ${width}×${height} (${(width * height / 1e6).toFixed(1)} Mpx), above the ${(maxPixels / 1e6).toFixed(1)} Mpx limit; resize it first`);
  }
  const pages = header.pages ?? 1;
  return { width, height, header, frames: pages > 1 ? pages : undefined };
}

/** The notice for an image with several frames or pages, of which the first is used. */
export function firstFrameNotice(name: string, header: UprightHeader): string | undefined {
  if (header.frames === undefined) return undefined;
  const unit = header.header.format === 'tiff' || header.header.format === 'heif' ? 'pages' : 'frames';
  return `${name} has ${header.frames} ${unit}; the first was used`;
}

function cannotRead(source: ImageSource, error: unknown): PipelineError {
  return refuse(source, `${source.name} is not a readable image (${(error as Error).message}); Atelier reads ${READABLE_FORMATS}`);
}

/** Reads and checks the header only (nothing is decoded): the upright size, before any work. */
export async function readUprightHeader(sharp: SharpFactory, bytes: Uint8Array, source: ImageSource, maxPixels: number): Promise<UprightHeader> {
  let header: ImageHeader;
  try {
    // Unlimited here, so an oversized image gets the size message, not "unreadable".
    header = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw cannotRead(source, error);
  }
  return checkHeader(header, source, maxPixels);
}

export interface DecodeOptions {
  /** rgb: sRGB, alpha dropped (pixels keep their colour); rgba: sRGB with alpha; grey: one channel, transparency as black. */
  readonly as: 'rgb' | 'rgba' | 'grey';
  /** rgb only: composite transparent pixels onto black (no control) instead of keeping their colour. */
  readonly onBlack?: boolean;
  readonly maxPixels: number;
  /** Uses that would misread or lose precision refuse 16-bit and CMYK images; each text finishes the message with its fix. */
  readonly refuse?: { readonly depth: string; readonly cmyk: string };
  /** Told what was done that the user should know (the first frame of several was used). */
  readonly notice?: (message: string) => void;
}

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
  /** Interleaved u8 pixels, upright. */
  readonly data: Uint8Array;
  /** Whether the file had an alpha channel. */
  readonly hasAlpha: boolean;
  /** The file's header (its stored, not upright, size). */
  readonly header: ImageHeader;
}

/** Decodes an image upright to 8-bit sRGB (or grey), first frame only, after checking its header. */
export async function decodeUpright(sharp: SharpFactory, bytes: Uint8Array, source: ImageSource, options: DecodeOptions): Promise<DecodedImage> {
  const checked = await readUprightHeader(sharp, bytes, source, options.maxPixels);
  const { header } = checked;
  if (options.refuse) {
    if (header.depth !== undefined && header.depth !== 'uchar' && header.depth !== 'char') {
      throw refuse(source, `${source.name} is a ${header.depth === 'ushort' ? '16-bit' : header.depth} image; ${options.refuse.depth}`);
    }
    if (header.space === 'cmyk') throw refuse(source, `${source.name} is a CMYK image; ${options.refuse.cmyk}`);
  }
  const notice = firstFrameNotice(source.name, checked);
  if (notice) options.notice?.(notice);
  const channels = options.as === 'grey' ? 1 : options.as === 'rgb' ? 3 : 4;
  try {
    // sharp's options, not steps: the output colourspace (sRGB or b-w) is reached from CMYK, grey or
    // 16-bit input through its own conversion, after the flatten.
    const input = sharp(bytes, { limitInputPixels: options.maxPixels, autoOrient: true, page: 0, pages: 1 });
    const shaped =
      options.as === 'grey'
        ? input.flatten({ background: '#000000' }).toColourspace('b-w').extractChannel(0)
        : options.as === 'rgb'
          ? (options.onBlack ? input.flatten({ background: '#000000' }) : input).toColourspace('srgb').removeAlpha()
          : input.toColourspace('srgb').ensureAlpha();
    const { data, info } = await shaped.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) throw new Error(`decoded ${info.channels} channels, expected ${channels}`);
    if (info.width !== checked.width || info.height !== checked.height) throw new Error(`decoded ${info.width}×${info.height}, the header says ${checked.width}×${checked.height}`);
    return { width: info.width, height: info.height, channels, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), hasAlpha: header.hasAlpha === true, header };
  } catch (error) {
    throw refuse(source, `${source.name} could not be decoded (${(error as Error).message}); the file may be truncated or corrupt`);
  }
}
