/**
 * Content hashes for builds: a file's SHA-256 (streamed, regular files only), and a model folder's
 * hash over every file's relative path and content. A folder's hash is remembered per process while
 * no file in it changes size or mtime, so a multi-GB model is read once per build, not once per recipe.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export async function sha256File(file: string): Promise<string> {
  const info = await stat(file);
  if (!info.isFile()) throw new Error(`${file} is not a regular file`);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256Text(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

interface Entry {
  readonly rel: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Regular files under `dir` (symlinks to files followed, hidden files and folders skipped), sorted. */
async function listFiles(dir: string, rel = ''): Promise<Entry[]> {
  const out: Entry[] = [];
  const names = (await readdir(path.join(dir, rel))).filter((n) => !n.startsWith('.')).sort();
  for (const name of names) {
    const relative = rel ? `${rel}/${name}` : name;
    const full = path.join(dir, relative);
    const link = await lstat(full);
    const info = link.isSymbolicLink() ? await stat(full).catch(() => undefined) : link;
    if (info?.isDirectory() && !link.isSymbolicLink()) out.push(...(await listFiles(dir, relative)));
    else if (info?.isFile()) out.push({ rel: relative, size: info.size, mtimeMs: info.mtimeMs });
  }
  return out;
}

const folderHashes = new Map<string, { signature: string; hash: string }>();

/** SHA-256 over `relative path, size, content hash` of each file of a model folder. */
export async function sha256Folder(dir: string): Promise<string> {
  const files = await listFiles(dir);
  const signature = files.map((f) => `${f.rel}\0${f.size}\0${f.mtimeMs}`).join('\n');
  const known = folderHashes.get(dir);
  if (known && known.signature === signature) return known.hash;
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f.rel}\0${f.size}\0${await sha256File(path.join(dir, f.rel))}\n`);
  const digest = hash.digest('hex');
  folderHashes.set(dir, { signature, hash: digest });
  return digest;
}
