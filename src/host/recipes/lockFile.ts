/**
 * `atelier.lock.json`: per built image, the hashes it was made from and of what was written, so a
 * build can tell up-to-date from stale without generating. Sorted keys, one value per line, written
 * atomically (a reader never sees half a lock file).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { replaceFile } from '../output/saveImage';

export const LOCK_FILE = 'atelier.lock.json';
export const LOCK_VERSION = 1;

export interface LockEntry {
  /** The recipe, workspace-relative. */
  readonly recipe: string;
  /** Hash of the recipe's job (key order and spacing ignored; `outputs` hashed apart). */
  readonly job: string;
  /** Hash of the recipe's `outputs` (derived files). */
  readonly outputs: string;
  /** Workspace-relative input file → SHA-256. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Hash of the model folder (local) or the checkpoint name (ComfyUI). */
  readonly model: string;
  readonly backend: 'local' | 'comfyui';
  /** Where it ran: an execution provider (cpu, cuda, …) or the ComfyUI server version. */
  readonly provider: string;
  /** Every file written (the image and its derived files), workspace-relative → SHA-256. */
  readonly files: Readonly<Record<string, string>>;
}

export interface LockFile {
  readonly version: 1;
  /** Keyed by the image, workspace-relative. */
  readonly outputs: Readonly<Record<string, LockEntry>>;
}

export class LockFileError extends Error {}

const EMPTY: LockFile = { version: LOCK_VERSION, outputs: {} };

function isStringMap(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

function checkEntry(key: string, value: unknown, file: string): LockEntry {
  const e = value as Partial<Record<keyof LockEntry, unknown>>;
  const bad = (field: string): never => {
    throw new LockFileError(`${file}: $.outputs[${JSON.stringify(key)}].${field} is missing or of the wrong type; fix: delete the entry (or the file) and run atelier build to record it again`);
  };
  if (typeof value !== 'object' || value === null) bad('(entry)');
  for (const field of ['recipe', 'job', 'outputs', 'model', 'provider'] as const) if (typeof e[field] !== 'string') bad(field);
  if (e.backend !== 'local' && e.backend !== 'comfyui') bad('backend');
  if (!isStringMap(e.inputs)) bad('inputs');
  if (!isStringMap(e.files)) bad('files');
  return e as LockEntry;
}

/** The lock file in `root`, or an empty one when there is none; a damaged one is an error naming the fix. */
export async function readLockFile(root: string): Promise<LockFile> {
  const file = path.join(root, LOCK_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY;
    throw new LockFileError(`${file} cannot be read (${(error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LockFileError(`${file} is not valid JSON (${(error as Error).message}); fix: resolve any merge conflict in it, or delete it and run atelier build`);
  }
  const lock = value as { version?: unknown; outputs?: unknown };
  if (typeof value !== 'object' || value === null || lock.version !== LOCK_VERSION || typeof lock.outputs !== 'object' || lock.outputs === null) {
    throw new LockFileError(`${file} is not an Atelier lock file of version ${LOCK_VERSION}; fix: delete it and run atelier build`);
  }
  const outputs: Record<string, LockEntry> = {};
  for (const [key, entry] of Object.entries(lock.outputs as Record<string, unknown>)) outputs[key] = checkEntry(key, entry, file);
  return { version: LOCK_VERSION, outputs };
}

function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // version first, then the rest sorted: the file reads top-down.
  const first = keys.filter((k) => k === 'version');
  return Object.fromEntries([...first, ...keys.filter((k) => k !== 'version')].map((k) => [k, sortedDeep((value as Record<string, unknown>)[k])]));
}

export function formatLockFile(lock: LockFile): string {
  return `${JSON.stringify(sortedDeep(lock), null, 2)}\n`;
}

export async function writeLockFile(root: string, lock: LockFile): Promise<void> {
  await replaceFile(path.join(root, LOCK_FILE), new TextEncoder().encode(formatLockFile(lock)));
}
