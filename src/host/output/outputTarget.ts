/**
 * Where a user-named output (the CLI's --out) goes, decided before any work: a trailing slash or an
 * existing folder means "into this folder" under the default name; a device, FIFO or socket is
 * refused; the extension picks the format among those allowed, and one Atelier does not write is
 * refused rather than written with the wrong bytes. An existing file is never overwritten (the save
 * adds -1, -2 …).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';

export interface OutputTarget {
  readonly dir: string;
  readonly stem: string;
  /** With its dot, e.g. ".png" or ".pose.json". */
  readonly ext: string;
}

/** A --out value Atelier will not write to; the message names the value and the fix. */
export class OutputPathError extends Error {}

/** What a kind of output accepts: its extensions (the first is the default) and how to name them. */
export interface OutputKind {
  readonly extensions: readonly string[];
  readonly describe: string;
}

export const IMAGE_OUTPUT: OutputKind = { extensions: ['.png', '.jpg', '.jpeg', '.webp'], describe: 'an image file (.png, .jpg, .jpeg or .webp)' };

async function kindOf(file: string): Promise<'missing' | 'file' | 'folder' | 'special'> {
  try {
    const info = await stat(file);
    return info.isFile() ? 'file' : info.isDirectory() ? 'folder' : 'special';
  } catch (error) {
    // A file in the way of a folder (ENOTDIR) is for the writability check to name.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw new OutputPathError(`--out ${file} cannot be checked (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/**
 * Resolves `out` (undefined: the default in `fallback.dir`). `fallback.stem` and the kind's first
 * extension name a file put into a folder; `fallback.ext` may replace that extension (".pose.json").
 */
export async function resolveOutput(out: string | undefined, fallback: { readonly dir: string; readonly stem: string; readonly ext?: string }, kind: OutputKind = IMAGE_OUTPUT): Promise<OutputTarget> {
  const defaultExt = fallback.ext ?? kind.extensions[0];
  if (out === undefined) return { dir: path.resolve(fallback.dir), stem: fallback.stem, ext: defaultExt };
  if (out.trim() === '') throw new OutputPathError(`--out is empty; name ${kind.describe} or a folder`);
  const resolved = path.resolve(out);
  const what = await kindOf(resolved);
  if (what === 'special') throw new OutputPathError(`--out ${out} is a device, pipe or socket, not a file; name ${kind.describe} or a folder`);
  if (what === 'folder' || /[/\\]$/.test(out)) return { dir: resolved, stem: fallback.stem, ext: defaultExt };
  const base = path.basename(resolved);
  const known = [...kind.extensions, ...(fallback.ext ? [fallback.ext] : [])].find((e) => base.toLowerCase().endsWith(e) && base.length > e.length);
  if (known) return { dir: path.dirname(resolved), stem: base.slice(0, base.length - known.length), ext: base.slice(base.length - known.length) };
  const ext = path.extname(base);
  if (ext === '') return { dir: path.dirname(resolved), stem: base, ext: defaultExt };
  throw new OutputPathError(`--out ${out}: Atelier cannot write ${ext} files; name ${kind.describe} (the format follows the extension), or a folder`);
}

/** A file chosen in a save dialog: its extension when Atelier writes it, else `.png` added. */
export function targetOfFile(file: string, kind: OutputKind = IMAGE_OUTPUT): OutputTarget {
  const ext = path.extname(file);
  const known = kind.extensions.includes(ext.toLowerCase());
  return { dir: path.dirname(path.resolve(file)), stem: known ? path.basename(file, ext) : path.basename(file), ext: known ? ext : kind.extensions[0] };
}
