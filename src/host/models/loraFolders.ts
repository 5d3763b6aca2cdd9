/**
 * LoRAs named in a prompt (`<lora:name:weight>`) are looked up in LoRA folders, as A1111 does: a `.safetensors`
 * file whose name without extension is `name`, anywhere in the folder (a few levels down), or a `sub/name` path.
 * The first folder given wins over later ones; within one folder the first path in sorted order wins.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

export interface FoundLora {
  /** The file name without `.safetensors`. */
  readonly name: string;
  /** The path under its folder, with `/` and without extension (for `<lora:sub/name>`). */
  readonly relative: string;
  readonly file: string;
}

const MAX_DEPTH = 4;
const MAX_FILES = 10_000;

/** Every `.safetensors` file in the folders (missing folders are skipped; links are not followed). */
export async function listLoras(roots: readonly string[]): Promise<FoundLora[]> {
  const found: FoundLora[] = [];
  const walk = async (root: string, dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (found.length >= MAX_FILES) return;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && depth < MAX_DEPTH && !entry.name.startsWith('.')) await walk(root, full, depth + 1);
      else if (entry.isFile() && /\.safetensors$/i.test(entry.name)) {
        const relative = path.relative(root, full).split(path.sep).join('/').replace(/\.safetensors$/i, '');
        found.push({ name: entry.name.replace(/\.safetensors$/i, ''), relative, file: full });
      }
    }
  };
  for (const root of roots) await walk(path.resolve(root), path.resolve(root), 0);
  return found;
}

/** The file for each name, or an error naming what is missing, where it looked and what it found. */
export async function resolveLoraNames(names: readonly string[], roots: readonly string[], how: string): Promise<Map<string, string>> {
  if (names.length === 0) return new Map();
  if (roots.length === 0) throw new Error(`the prompt names ${names.map((n) => `<lora:${n}>`).join(', ')} but no LoRA folder is set: ${how}`);
  const found = await listLoras(roots);
  const files = new Map<string, string>();
  const missing: string[] = [];
  for (const name of names) {
    const hit = found.find((f) => f.relative === name || f.name === name);
    if (hit) files.set(name, hit.file);
    else missing.push(name);
  }
  if (missing.length > 0) {
    const listed = found.length === 0 ? 'no .safetensors LoRA there' : `found: ${found.slice(0, 20).map((f) => f.relative).join(', ')}${found.length > 20 ? `, … (${found.length} in all)` : ''}`;
    throw new Error(`no LoRA named ${missing.map((n) => JSON.stringify(n)).join(', ')} in ${roots.join(', ')}; ${listed}`);
  }
  return files;
}
