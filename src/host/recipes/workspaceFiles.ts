/**
 * Paths in recipes are workspace-relative with forward slashes. Resolving one checks, before any work,
 * that it stays inside the workspace (also through symbolic links) and names a regular file.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export type ResolvedPath = { readonly ok: true; readonly file: string } | { readonly ok: false; readonly message: string; readonly fix: string };

function inside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** `file` as the recipe writes it: relative to `root`, forward slashes. */
export function workspaceRelative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/** Resolves `value` (at JSON path `where`) against the workspace `root`; the failure names the fix. */
export async function resolveWorkspaceFile(root: string, value: string, where: string): Promise<ResolvedPath> {
  if (path.isAbsolute(value) || /^[A-Za-z]:[\\/]/.test(value)) {
    return { ok: false, message: `${where} is the absolute path ${JSON.stringify(value)}`, fix: `use a path relative to the workspace (${root}) so the recipe works on every machine` };
  }
  const file = path.resolve(root, value);
  if (!inside(root, file)) return { ok: false, message: `${where} ${JSON.stringify(value)} is outside the workspace (${root})`, fix: 'copy the file into the workspace and name it by its workspace-relative path' };
  let info;
  try {
    info = await stat(file);
  } catch {
    return { ok: false, message: `${where} names ${JSON.stringify(value)}, which does not exist`, fix: `create ${value}, or correct the path (relative to ${root})` };
  }
  if (!info.isFile()) return { ok: false, message: `${where} ${JSON.stringify(value)} is ${info.isDirectory() ? 'a folder' : 'not a regular file'}`, fix: 'name an image file' };
  const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
  if (!inside(realRoot, realFile)) return { ok: false, message: `${where} ${JSON.stringify(value)} leads out of the workspace through a symbolic link (to ${realFile})`, fix: 'copy the file into the workspace instead of linking to it' };
  return { ok: true, file };
}
