/**
 * The test double's input and output folders, as server.py's `POST /upload/image` (a new name
 * "x (1).png" unless the bytes are the same as the file already there) and `GET /view` (refusing
 * names with `..` or a leading `/`, and subfolders outside the folder) handle them.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { FormPart } from './multipart';

export function storeUpload(uploads: Map<string, Uint8Array>, parts: readonly FormPart[]): { name: string; subfolder: string; type: string } | { status: number } {
  const image = parts.find((p) => p.name === 'image' && p.filename !== undefined);
  if (!image?.filename) return { status: 400 };
  const type = parts.find((p) => p.name === 'type')?.data.toString() || 'input';
  const subfolder = parts.find((p) => p.name === 'subfolder')?.data.toString() ?? '';
  const overwrite = ['true', '1'].includes(parts.find((p) => p.name === 'overwrite')?.data.toString() ?? '');
  if (image.filename.includes('/') || image.filename.includes('..') || subfolder.includes('..')) return { status: 400 };
  const ext = path.posix.extname(image.filename);
  const stem = image.filename.slice(0, image.filename.length - ext.length);
  const digest = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
  let name = image.filename;
  for (let i = 1; !overwrite && uploads.has(path.posix.join(subfolder, name)); i++) {
    if (digest(uploads.get(path.posix.join(subfolder, name))!) === digest(image.data)) break; // duplicate: keep the name
    name = `${stem} (${i})${ext}`;
  }
  uploads.set(path.posix.join(subfolder, name), new Uint8Array(image.data));
  return { name, subfolder, type };
}

export function viewFile(uploads: ReadonlyMap<string, Uint8Array>, outputs: ReadonlyMap<string, Uint8Array>, query: URLSearchParams): { bytes: Uint8Array; name: string } | { status: number } {
  const filename = query.get('filename');
  if (filename === null) return { status: 404 };
  if (!filename || filename.startsWith('/') || filename.includes('..')) return { status: 400 };
  const type = query.get('type') ?? 'output';
  if (type !== 'output' && type !== 'input' && type !== 'temp') return { status: 400 };
  const subfolder = query.get('subfolder') ?? '';
  // server.py: os.path.commonpath((abspath(join(output_dir, subfolder)), output_dir)) must be output_dir.
  const full = subfolder.startsWith('/') ? path.posix.normalize(subfolder) : path.posix.normalize(path.posix.join('/output', subfolder));
  if (full !== '/output' && !full.startsWith('/output/')) return { status: 403 };
  const name = path.posix.basename(filename);
  const bytes = (type === 'input' ? uploads : outputs).get(path.posix.join(subfolder, name));
  return bytes ? { bytes, name } : { status: 404 };
}
