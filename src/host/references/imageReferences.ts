/**
 * Finds the images a source file refers to: Markdown `![alt](path)`, HTML/JSX/Vue/Svelte `<img src>` and
 * `srcset`, CSS `url()`. Pure text scanning (no file system): the caller decides which ones are missing.
 * Remote and inline references (http:, https:, //host, data:, blob:) are never returned, nor are
 * references to formats Atelier does not write.
 */

export type ReferenceSyntax = 'markdown' | 'markup' | 'css';

export interface ImageReference {
  /** The path as written, without a query or fragment (`img/hero.png`, `/logo.webp`). */
  readonly path: string;
  /** Offsets of the path in the text, for the diagnostic's range. */
  readonly start: number;
  readonly end: number;
  readonly alt?: string;
  /** From `width`/`height` attributes written as plain numbers (or `"640px"`). */
  readonly width?: number;
  readonly height?: number;
}

const SYNTAX_OF_LANGUAGE: Readonly<Record<string, ReferenceSyntax>> = {
  markdown: 'markdown',
  mdx: 'markdown',
  html: 'markup',
  javascriptreact: 'markup',
  typescriptreact: 'markup',
  vue: 'markup',
  svelte: 'markup',
  astro: 'markup',
  css: 'css',
  scss: 'css',
  less: 'css',
};

export const REFERENCE_LANGUAGES: readonly string[] = Object.keys(SYNTAX_OF_LANGUAGE);

export function syntaxOfLanguage(languageId: string): ReferenceSyntax | undefined {
  return SYNTAX_OF_LANGUAGE[languageId];
}

/** The image formats Atelier writes, so the only ones a quick fix can create. */
const WRITABLE = /\.(png|jpe?g|webp)$/i;
const REMOTE = /^([a-z][a-z0-9+.-]*:|\/\/)/i;

/** The path part of a reference, or undefined when it is remote, empty or not an image Atelier writes. */
function localImagePath(raw: string): string | undefined {
  const trimmed = raw.trim();
  if (trimmed === '' || REMOTE.test(trimmed) || trimmed.includes('{') || trimmed.includes('$')) return undefined;
  const bare = trimmed.split(/[?#]/, 1)[0];
  return WRITABLE.test(bare) ? bare : undefined;
}

function reference(raw: string, rawStart: number, extra: Omit<ImageReference, 'path' | 'start' | 'end'> = {}): ImageReference | undefined {
  const p = localImagePath(raw);
  if (p === undefined) return undefined;
  const start = rawStart + raw.indexOf(p);
  return { path: p, start, end: start + p.length, ...extra };
}

function markdownImages(text: string): ImageReference[] {
  const found: ImageReference[] = [];
  // ![alt](path "title") or ![alt](<path with spaces>)
  for (const m of text.matchAll(/!\[([^\]\n]*)\]\(\s*(<[^>\n]+>|[^\s)]+)(?:\s+["'(][^)\n]*)?\)/g)) {
    const target = m[2];
    const raw = target.startsWith('<') ? target.slice(1, -1) : target;
    const rawStart = (m.index ?? 0) + m[0].indexOf(target) + (target.startsWith('<') ? 1 : 0);
    const alt = m[1].trim();
    const ref = reference(raw, rawStart, alt === '' ? {} : { alt });
    if (ref) found.push(ref);
  }
  return found;
}

const ATTRIBUTE = /([a-zA-Z:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|\{\s*["'`]([^"'`]*)["'`]\s*\})/g;

interface Attribute {
  readonly value: string;
  readonly start: number;
}

function attributesOf(tag: string, tagStart: number): Map<string, Attribute> {
  const attributes = new Map<string, Attribute>();
  for (const m of tag.matchAll(ATTRIBUTE)) {
    const value = m[2] ?? m[3] ?? m[4] ?? '';
    const valueStart = tagStart + (m.index ?? 0) + m[0].lastIndexOf(value);
    attributes.set(m[1].toLowerCase(), { value, start: valueStart });
  }
  return attributes;
}

function pixels(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d{1,5})(px)?\s*$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

function markupImages(text: string): ImageReference[] {
  const found: ImageReference[] = [];
  for (const m of text.matchAll(/<(img|source)\b[^>]*>/gi)) {
    const attributes = attributesOf(m[0], m.index ?? 0);
    const alt = attributes.get('alt')?.value.trim();
    const size = { width: pixels(attributes.get('width')?.value), height: pixels(attributes.get('height')?.value) };
    const extra = { ...(alt ? { alt } : {}), ...(size.width !== undefined ? { width: size.width } : {}), ...(size.height !== undefined ? { height: size.height } : {}) };
    const src = attributes.get('src');
    if (src) {
      const ref = reference(src.value, src.start, extra);
      if (ref) found.push(ref);
    }
    const srcset = attributes.get('srcset');
    if (srcset) {
      let offset = 0;
      for (const candidate of srcset.value.split(',')) {
        const url = candidate.trim().split(/\s+/, 1)[0] ?? '';
        const ref = reference(url, srcset.start + offset + candidate.indexOf(url), alt ? { alt } : {});
        if (ref) found.push(ref);
        offset += candidate.length + 1;
      }
    }
  }
  return found;
}

function cssImages(text: string): ImageReference[] {
  const found: ImageReference[] = [];
  for (const m of text.matchAll(/url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)/g)) {
    const raw = m[1] ?? m[2] ?? m[3] ?? '';
    const ref = reference(raw, (m.index ?? 0) + m[0].indexOf(raw, 4));
    if (ref) found.push(ref);
  }
  return found;
}

/** Every local image reference in `text`, in order. Markdown also takes inline HTML `<img>`. */
export function findImageReferences(text: string, syntax: ReferenceSyntax): ImageReference[] {
  const found = syntax === 'css' ? cssImages(text) : syntax === 'markup' ? markupImages(text) : [...markdownImages(text), ...markupImages(text)];
  return found.sort((a, b) => a.start - b.start);
}
