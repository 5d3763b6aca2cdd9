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
  atelier_editImage: ['image', 'prompt', 'path', 'strength', 'seed', 'negativePrompt'],
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
  const strength = fields.strength;
  if (strength !== undefined && (typeof strength !== 'number' || !Number.isFinite(strength))) throw new ToolInputError('strength', `strength must be a number from 0 (keep the image) to 1 (ignore it), got ${JSON.stringify(strength) ?? String(strength)}`);
  return {
    image: text(fields, 'image', true),
    prompt: text(fields, 'prompt', true),
    ...optional('path', text(fields, 'path', false)),
    strength: strength ?? DEFAULT_EDIT_STRENGTH,
    ...optional('seed', whole(fields, 'seed', '')),
    ...optional('negativePrompt', text(fields, 'negativePrompt', false)),
  };
}

export function parseUpscaleImageInput(input: unknown): UpscaleImageInput {
  const fields = object(input, TOOL_FIELDS.atelier_upscaleImage);
  const scale = fields.scale ?? 2;
  if (!(UPSCALE_FACTORS as readonly unknown[]).includes(scale)) throw new ToolInputError('scale', `scale must be one of ${UPSCALE_FACTORS.join(', ')}, got ${JSON.stringify(scale) ?? String(scale)}`);
  return { image: text(fields, 'image', true), scale: scale as UpscaleFactor, ...optional('path', text(fields, 'path', false)) };
}
