/**
 * Files a recipe derives from its image with sharp: sizes (`@1x/@2x/@3x`, the largest being the image
 * itself, or widths in pixels), formats (PNG, WebP, AVIF, JPEG with quality) and an icon set
 * (favicon.ico with 16/32/48, PNGs from 16 to 512, a 180 px apple-touch-icon), and a cut-out of the
 * people on a transparent background (the worker's person segmentation). Never enlarges: a width above
 * the image's is refused, naming the fix.
 */
import path from 'node:path';
import { decodeRgba, encodeCutout, encodeDerived, readImageSize } from '../images/imageCodec';
import type { DerivedFormat, RecipeOutputs } from './recipe';

export const ICON_SIZES = [16, 32, 48, 64, 128, 192, 256, 512] as const;
const FAVICON_SIZES = [16, 32, 48] as const;
const APPLE_TOUCH = 180;
const EXT: Record<DerivedFormat, string> = { png: '.png', webp: '.webp', avif: '.avif', jpeg: '.jpg' };

/** The person mask of an image (width × height, 255 where a person is), or undefined when no one is there. */
export type PersonSegmenter = (image: { readonly width: number; readonly height: number; readonly data: Uint8Array }) => Promise<Uint8Array | undefined>;

export class DerivedFileError extends Error {
  constructor(readonly jsonPath: string, message: string) {
    super(message);
  }
}

type Size = { readonly kind: 'full' } | { readonly kind: 'density'; readonly k: number; readonly label: string } | { readonly kind: 'width'; readonly width: number; readonly index: number };
interface Format {
  readonly format: DerivedFormat;
  readonly quality?: number;
}

function formatOfImage(file: string): DerivedFormat {
  const ext = path.extname(file).toLowerCase();
  return ext === '.jpg' || ext === '.jpeg' ? 'jpeg' : ext === '.webp' ? 'webp' : 'png';
}

function plan(imageFile: string, outputs: RecipeOutputs | undefined): { sizes: Size[]; formats: Format[] } {
  if (!outputs || (outputs.sizes === undefined && outputs.formats === undefined)) return { sizes: [], formats: [] };
  const sizes: Size[] = outputs.sizes?.map((s, i) => (typeof s === 'number' ? { kind: 'width', width: s, index: i } : { kind: 'density', k: Number(s.slice(1, -1)), label: s })) ?? [{ kind: 'full' }];
  const formats: Format[] = outputs.formats?.map((f) => (typeof f === 'string' ? { format: f } : f)) ?? [{ format: formatOfImage(imageFile) }];
  return { sizes, formats };
}

function suffix(size: Size): string {
  return size.kind === 'full' ? '' : size.kind === 'density' ? size.label : `-${size.width}w`;
}

function transparentFile(imageFile: string, format: 'png' | 'webp'): string {
  return path.join(path.dirname(imageFile), `${path.basename(imageFile, path.extname(imageFile))}-transparent.${format}`);
}

function iconsDir(imageFile: string): string {
  return path.join(path.dirname(imageFile), `${path.basename(imageFile, path.extname(imageFile))}-icons`);
}

/** Absolute paths of every file `outputs` asks for (without the image itself). */
export function derivedPaths(imageFile: string, outputs: RecipeOutputs | undefined): string[] {
  const { sizes, formats } = plan(imageFile, outputs);
  const dir = path.dirname(imageFile);
  const stem = path.basename(imageFile, path.extname(imageFile));
  const files = sizes.flatMap((s) => formats.map((f) => path.join(dir, `${stem}${suffix(s)}${EXT[f.format]}`))).filter((f) => f !== imageFile);
  if (outputs?.icons) {
    const icons = iconsDir(imageFile);
    files.push(path.join(icons, 'favicon.ico'), ...ICON_SIZES.map((n) => path.join(icons, `icon-${n}.png`)), path.join(icons, 'apple-touch-icon.png'));
  }
  if (outputs?.transparent) files.push(transparentFile(imageFile, outputs.transparent));
  return [...new Set(files)];
}

/** An ICO holding PNG images (Vista+ format, read by every browser). */
export function icoOf(pngs: readonly { readonly size: number; readonly bytes: Uint8Array }[]): Uint8Array {
  const header = Buffer.alloc(6 + 16 * pngs.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(pngs.length, 4);
  let offset = header.length;
  pngs.forEach((p, i) => {
    const at = 6 + 16 * i;
    header.writeUInt8(p.size >= 256 ? 0 : p.size, at);
    header.writeUInt8(p.size >= 256 ? 0 : p.size, at + 1);
    header.writeUInt16LE(1, at + 4);
    header.writeUInt16LE(32, at + 6);
    header.writeUInt32LE(p.bytes.length, at + 8);
    header.writeUInt32LE(offset, at + 12);
    offset += p.bytes.length;
  });
  return Buffer.concat([header, ...pngs.map((p) => Buffer.from(p.bytes))]);
}

function square(image: Uint8Array, size: number, opaque = false): Promise<Uint8Array> {
  // Contain, not cover: a non-square image is padded with transparency rather than cropped.
  return encodeDerived(image, { format: 'png', resize: { width: size, height: size, fit: 'contain' }, opaque });
}

/** The derived files' bytes, by absolute path; encoded `concurrency` at a time (AVIF is slow), in declaration order. */
export async function deriveFiles(image: Uint8Array, imageFile: string, outputs: RecipeOutputs | undefined, concurrency = 1, segment?: PersonSegmenter): Promise<Map<string, Uint8Array>> {
  const { sizes, formats } = plan(imageFile, outputs);
  const { width, height } = await readImageSize(image, path.basename(imageFile));
  const maxK = Math.max(1, ...sizes.map((s) => (s.kind === 'density' ? s.k : 1)));
  const dir = path.dirname(imageFile);
  const stem = path.basename(imageFile, path.extname(imageFile));
  const work: { readonly file: string; readonly make: () => Promise<Uint8Array> }[] = [];
  for (const size of sizes) {
    let w = width;
    if (size.kind === 'density') w = Math.max(1, Math.round((width * size.k) / maxK));
    if (size.kind === 'width') {
      if (size.width > width) throw new DerivedFileError(`$.outputs.sizes[${size.index}]`, `$.outputs.sizes[${size.index}] asks for ${size.width} px, wider than the image (${width} px); Atelier does not enlarge silently; fix: add {"upscale": 2} to "post", or a smaller width`);
      w = size.width;
    }
    const h = Math.max(1, Math.round((height * w) / width));
    for (const f of formats) {
      const file = path.join(dir, `${stem}${suffix(size)}${EXT[f.format]}`);
      if (file !== imageFile) work.push({ file, make: () => encodeDerived(image, { format: f.format, quality: f.quality, ...(w === width ? {} : { resize: { width: w, height: h, fit: 'fill' as const } }) }) });
    }
  }
  if (outputs?.icons) {
    const icons = iconsDir(imageFile);
    for (const n of ICON_SIZES) work.push({ file: path.join(icons, `icon-${n}.png`), make: () => square(image, n) });
    // Apple touch icons are shown on an opaque tile: no transparency.
    work.push({ file: path.join(icons, 'apple-touch-icon.png'), make: () => square(image, APPLE_TOUCH, true) });
  }
  const transparent = outputs?.transparent;
  if (transparent) {
    work.push({
      file: transparentFile(imageFile, transparent),
      make: async () => {
        if (!segment) throw new DerivedFileError('$.outputs.transparent', '$.outputs.transparent needs the built-in person segmentation, which runs only on the local pipeline; remove "transparent", or build with the local backend');
        const rgba = await decodeRgba(image, path.basename(imageFile));
        const mask = await segment(rgba);
        if (!mask) throw new DerivedFileError('$.outputs.transparent', `$.outputs.transparent: no person found in ${path.basename(imageFile)}, and the built-in segmentation cuts out people only; remove "transparent", or change the prompt so the image shows a person`);
        return encodeCutout(rgba, mask, transparent);
      },
    });
  }
  const out = new Map<string, Uint8Array>();
  for (let i = 0; i < work.length; i += concurrency) {
    const batch = work.slice(i, i + concurrency);
    const bytes = await Promise.all(batch.map((w) => w.make()));
    batch.forEach((w, j) => out.set(w.file, bytes[j]));
  }
  if (outputs?.icons) {
    const icons = iconsDir(imageFile);
    out.set(path.join(icons, 'favicon.ico'), icoOf(FAVICON_SIZES.map((n) => ({ size: n, bytes: out.get(path.join(icons, `icon-${n}.png`)) as Uint8Array }))));
  }
  return out;
}
