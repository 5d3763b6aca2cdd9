/**
 * What to generate for an image reference that points at nothing: where the file goes (inside the
 * workspace only), the prompt (alt text, else the heading above it, else the file's name) and the
 * size (the reference's width/height when both are usable generation sizes).
 */
import path from 'node:path';
import type { ImageReference } from './imageReferences';

export interface ReferenceContext {
  /** The referring document's folder. */
  readonly documentDir: string;
  /** The workspace folder that holds the document. */
  readonly workspaceRoot: string;
  /** Whether a path exists (a file or a folder). */
  readonly exists: (file: string) => boolean;
}

/** Folders that serve a site's root (`/logo.png`) in common web project layouts, most specific first. */
const SITE_ROOTS = ['public', 'static', ''];

function inside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/**
 * The files the reference may mean. A root-relative path (`/img/a.png`) is looked for under the site
 * roots (public/, static/, the workspace root); anything else is relative to the document. Paths that
 * leave the workspace give none.
 */
export function candidateFiles(ref: ImageReference, context: ReferenceContext): string[] {
  const decoded = safeDecode(ref.path);
  const files = decoded.startsWith('/')
    ? SITE_ROOTS.map((root) => path.join(context.workspaceRoot, root, decoded))
    : [path.resolve(context.documentDir, decoded)];
  return files.filter((f) => inside(context.workspaceRoot, f));
}

function safeDecode(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/**
 * The file to create for a reference that resolves to nothing, or undefined when one of its candidates
 * exists (not missing) or none lies inside the workspace. A root-relative path goes into the first site
 * root folder that exists.
 */
export function missingFile(ref: ImageReference, context: ReferenceContext): string | undefined {
  const candidates = candidateFiles(ref, context);
  if (candidates.length === 0 || candidates.some((f) => context.exists(f))) return undefined;
  if (!safeDecode(ref.path).startsWith('/')) return candidates[0];
  const root = SITE_ROOTS.find((r) => r === '' || context.exists(path.join(context.workspaceRoot, r)));
  return path.join(context.workspaceRoot, root ?? '', safeDecode(ref.path));
}

/** The nearest Markdown heading above `offset`, without its #s. */
function headingAbove(text: string, offset: number): string | undefined {
  const before = text.slice(0, offset);
  const headings = [...before.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)];
  return headings.at(-1)?.[1].trim() || undefined;
}

/** "hero-banner_2x.png" → "hero banner". */
export function wordsOfFileName(file: string): string {
  const stem = path.basename(file).replace(/\.[^.]+$/, '').replace(/@\dx$/i, '');
  return stem.replace(/[-_.]+/g, ' ').replace(/\b\d+x\b/gi, '').replace(/\s+/g, ' ').trim();
}

export function suggestedPrompt(ref: ImageReference, text: string, syntax: 'markdown' | 'markup' | 'css'): string {
  if (ref.alt) return ref.alt;
  const heading = syntax === 'markdown' ? headingAbove(text, ref.start) : undefined;
  const words = wordsOfFileName(ref.path);
  if (heading) return words === '' ? heading : `${words}, ${heading}`;
  return words === '' ? 'an illustration' : words;
}

export interface SuggestedSize {
  readonly width: number;
  readonly height: number;
}

/**
 * The size written on the reference when both sides are usable as they are (multiples of 8, 64–4096);
 * anything else leaves the size to the settings, never a silent rounding.
 */
export function suggestedSize(ref: ImageReference): SuggestedSize | undefined {
  const { width, height } = ref;
  const usable = (n: number | undefined): n is number => n !== undefined && n >= 64 && n <= 4096 && n % 8 === 0;
  return usable(width) && usable(height) ? { width, height } : undefined;
}
