/**
 * The JSON a coding agent sends each tool, checked field by field before anything runs (VS Code
 * validates against the schema in package.json too, but not every caller does). Ranges that the job
 * builder checks (size, seed, strength) are left to it, so there is one rule for each.
 */
import { UPSCALE_FACTORS, type UpscaleFactor } from '../../shared/request';
import { ToolInputError } from './toolErrors';

export interface GenerateImageInput {
  readonly prompt: string;
  /** As the agent wrote it; resolved by workspacePath. */
  readonly path: string;
  readonly width?: number;
  readonly height?: number;
  readonly seed?: number;
  readonly negativePrompt?: string;
}

export interface EditImageInput {
  /** The existing image. */
  readonly image: string;
  readonly prompt: string;
  /** Where the result goes; beside the image, named after it, when absent. */
  readonly path?: string;
  /** How much to change it, 0–1. */
  readonly strength: number;
  readonly seed?: number;
  readonly negativePrompt?: string;
  /** Inpaint only here: a mask image in the workspace (white = repaint), … */
  readonly mask?: string;
  /** … or a rectangle in the image's pixels. Pixels outside stay bit-exact. */
  readonly region?: Region;
}

export interface Region {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface UpscaleImageInput {
  readonly image: string;
  readonly scale: UpscaleFactor;
  readonly path?: string;
}

export const DEFAULT_EDIT_STRENGTH = 0.55;

/** Each tool's input fields, as its inputSchema in package.json declares them (the architecture test compares). */
export const TOOL_FIELDS = {
  atelier_generateImage: ['prompt', 'path', 'width', 'height', 'seed', 'negativePrompt'],
  atelier_editImage: ['image', 'prompt', 'path', 'strength', 'seed', 'negativePrompt', 'mask', 'region'],
  atelier_upscaleImage: ['image', 'scale', 'path'],
  atelier_listModels: [],
} as const satisfies Record<string, readonly string[]>;

type Fields = Record<string, unknown>;

function object(input: unknown, known: readonly string[]): Fields {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ToolInputError('input', `the input must be a JSON object with the fields ${known.join(', ')}`);
  const fields = input as Fields;
  const unknown = Object.keys(fields).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new ToolInputError(unknown[0], `unknown field "${unknown[0]}"; the fields are ${known.join(', ')}`);
  return fields;
}

function text(fields: Fields, name: string, required: true): string;
function text(fields: Fields, name: string, required: false): string | undefined;
function text(fields: Fields, name: string, required: boolean): string | undefined {
  const value = fields[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || (required && value.trim() === '')) throw new ToolInputError(name, `${name} must be ${required ? 'non-empty ' : ''}text, got ${JSON.stringify(value) ?? String(value)}`);
  return value;
}

function whole(fields: Fields, name: string, unit: string): number | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ToolInputError(name, `${name} must be a whole number${unit}, got ${JSON.stringify(value) ?? String(value)}`);
  return value;
}

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));

export function parseGenerateImageInput(input: unknown): GenerateImageInput {
  const fields = object(input, TOOL_FIELDS.atelier_generateImage);
  return {
    prompt: text(fields, 'prompt', true),
    path: text(fields, 'path', true),
    ...optional('width', whole(fields, 'width', ' of pixels')),
    ...optional('height', whole(fields, 'height', ' of pixels')),
    ...optional('seed', whole(fields, 'seed', '')),
    ...optional('negativePrompt', text(fields, 'negativePrompt', false)),
  };
}

export function parseEditImageInput(input: unknown): EditImageInput {
  const fields = object(input, TOOL_FIELDS.atelier_editImage);
  if (fields.mask !== undefined && fields.region !== undefined) throw new ToolInputError('region', 'give either mask (an image) or region (a rectangle), not both');
  const strength = fields.strength;
  if (strength !== undefined && (typeof strength !== 'number' || !Number.isFinite(strength))) throw new ToolInputError('strength', `strength must be a number from 0 (keep the image) to 1 (ignore it), got ${JSON.stringify(strength) ?? String(strength)}`);
  return {
    image: text(fields, 'image', true),
    prompt: text(fields, 'prompt', true),
    ...optional('path', text(fields, 'path', false)),
    strength: strength ?? DEFAULT_EDIT_STRENGTH,
    ...optional('seed', whole(fields, 'seed', '')),
    ...optional('negativePrompt', text(fields, 'negativePrompt', false)),
    ...optional('mask', text(fields, 'mask', false)),
    ...optional('region', region(fields.region)),
  };
}

function region(value: unknown): Region | undefined {
  if (value === undefined) return undefined;
  const shape = 'region must be {"x", "y", "width", "height"} in the image\'s pixels (whole numbers; x, y from the top-left corner)';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ToolInputError('region', `${shape}, got ${JSON.stringify(value) ?? String(value)}`);
  const r = value as Record<string, unknown>;
  const extra = Object.keys(r).find((k) => !['x', 'y', 'width', 'height'].includes(k));
  if (extra !== undefined) throw new ToolInputError('region', `${shape}; unknown field "${extra}"`);
  for (const k of ['x', 'y', 'width', 'height'] as const) {
    const v = r[k];
    const min = k === 'x' || k === 'y' ? 0 : 1;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ToolInputError('region', `${shape}; region.${k} must be a whole number ≥ ${min}, got ${JSON.stringify(v) ?? String(v)}`);
  }
  return { x: r.x as number, y: r.y as number, width: r.width as number, height: r.height as number };
}

/** A one-channel mask, 255 inside `r`: refused (not clipped) when `r` reaches past the image. */
export function regionMask(image: { readonly width: number; readonly height: number }, r: Region): Uint8Array {
  if (r.x + r.width > image.width || r.y + r.height > image.height) throw new ToolInputError('region', `region x ${r.x}, y ${r.y}, ${r.width}×${r.height} reaches past the image (${image.width}×${image.height}); keep x + width ≤ ${image.width} and y + height ≤ ${image.height}`);
  const mask = new Uint8Array(image.width * image.height);
  for (let y = r.y; y < r.y + r.height; y++) mask.fill(255, y * image.width + r.x, y * image.width + r.x + r.width);
  return mask;
}

export function parseUpscaleImageInput(input: unknown): UpscaleImageInput {
  const fields = object(input, TOOL_FIELDS.atelier_upscaleImage);
  const scale = fields.scale ?? 2;
  if (!(UPSCALE_FACTORS as readonly unknown[]).includes(scale)) throw new ToolInputError('scale', `scale must be one of ${UPSCALE_FACTORS.join(', ')}, got ${JSON.stringify(scale) ?? String(scale)}`);
  return { image: text(fields, 'image', true), scale: scale as UpscaleFactor, ...optional('path', text(fields, 'path', false)) };
}
