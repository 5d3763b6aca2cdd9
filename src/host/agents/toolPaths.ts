/**
 * Paths a coding agent names: inside an open workspace folder or refused, relative ones read from the
 * first folder. A symlinked folder that leads out of the workspace is refused too (checked on the real
 * path of the deepest part that exists), so an agent cannot write through a link to ~/.ssh.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { IMAGE_OUTPUT } from '../output/outputTarget';
import { ToolInputError } from './toolErrors';

function inside(folder: string, file: string): boolean {
  const rel = path.relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The deepest existing ancestor of `file` (the file itself when it exists), resolved through links. */
async function realAncestor(file: string): Promise<{ real: string; rest: string }> {
  let current = file;
  const rest: string[] = [];
  for (;;) {
    try {
      return { real: await realpath(current), rest: path.join(...rest.reverse(), '') };
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return { real: current, rest: path.join(...rest.reverse(), '') };
      rest.push(path.basename(current));
      current = parent;
    }
  }
}

/** What kind of file the path names: an image Atelier writes, or one it reads. */
export type PathUse = 'output' | 'input';

/**
 * `value` as an absolute path inside one of `folders`, or a ToolInputError naming `field`, the value
 * and the fix. Outputs must end in an image extension Atelier writes.
 */
export async function workspacePath(value: unknown, field: string, folders: readonly string[], use: PathUse): Promise<string> {
  if (typeof value !== 'string' || value.trim() === '') throw new ToolInputError(field, `${field} must be a file path inside the workspace, such as "assets/hero.png"; got ${JSON.stringify(value) ?? String(value)}`);
  if (folders.length === 0) throw new ToolInputError(field, 'no workspace folder is open, and Atelier writes and reads images only inside the workspace; ask the user to open the project folder');
  const resolved = path.resolve(folders[0], value);
  const folder = folders.find((f) => inside(path.resolve(f), resolved));
  if (!folder) throw new ToolInputError(field, `${field} "${value}" is outside the workspace (${folders.join(', ')}); use a path inside it, such as "assets/${path.basename(value) || 'image.png'}"`);
  const { real, rest } = await realAncestor(resolved);
  const realFolder = await realpath(folder).catch(() => path.resolve(folder));
  const realFile = path.join(real, rest);
  if (!inside(realFolder, realFile)) throw new ToolInputError(field, `${field} "${value}" leads out of the workspace through a symbolic link (to ${realFile}); use a path inside the workspace`);
  if (use === 'output') {
    const ext = path.extname(resolved).toLowerCase();
    if (!IMAGE_OUTPUT.extensions.includes(ext)) throw new ToolInputError(field, `${field} "${value}" must end in .png, .jpg, .jpeg or .webp (the format follows the extension)`);
  }
  return resolved;
}

/** How a path is shown to the agent: workspace-relative with forward slashes when inside one. */
export function shownPath(file: string, folders: readonly string[]): string {
  const folder = folders.find((f) => inside(path.resolve(f), file));
  if (!folder) return file;
  const rel = path.relative(folder, file).split(path.sep).join('/');
  return folders.length > 1 ? `${path.basename(folder)}/${rel}` : rel;
}
