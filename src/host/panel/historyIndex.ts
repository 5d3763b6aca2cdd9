/**
 * The images Atelier made in this workspace (PNG, JPEG, WebP), read back from their `parameters`
 * (PNG iTXt, JPEG/WebP EXIF UserComment), so the list survives restarts and includes images the CLI
 * made; newest first.
 */
import { stat } from 'node:fs/promises';
import { FILE_KINDS, readBounded, readHead } from '../../shared/files/boundedRead';
import path from 'node:path';
import { isLayerFile } from '../canvas/layerFiles';
import { parseParameters, type ParsedParameters } from '../output/parameters';
import { formatOfBytes, formatOfExtension, readParameters } from '../output/imageMetadata';

export interface HistoryRecord {
  readonly file: string;
  readonly modifiedMs: number;
  readonly parameters: ParsedParameters;
}

/** Text chunks sit before the image data; this much of the file always holds ours. */
const HEAD_BYTES = 256 * 1024;

/** The files that can be Atelier outputs (the formats it writes), for the workspace search and the watcher. */
export const HISTORY_GLOB = '**/*.{png,PNG,jpg,JPG,jpeg,JPEG,webp,WEBP}';

/** The Atelier parameters of a PNG, JPEG or WebP, or undefined when it is not an Atelier image. */
export async function readAtelierParameters(file: string): Promise<ParsedParameters | undefined> {
  try {
    const head = await readHead(file, FILE_KINDS.image, HEAD_BYTES);
    // WebP keeps its EXIF chunk after the pixels: a large one is read whole (bounded).
    const bytes = formatOfBytes(head) === 'webp' && head.length >= HEAD_BYTES ? await readBounded(file, FILE_KINDS.image) : head;
    const text = readParameters(bytes);
    if (!text) return undefined;
    const parsed = parseParameters(text);
    return parsed.fields.get('Version')?.startsWith('Atelier') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the candidates (newest first) until `limit` Atelier images are found. */
export async function buildHistory(files: readonly string[], limit: number): Promise<HistoryRecord[]> {
  const dated = await Promise.all(
    files.filter((f) => formatOfExtension(path.extname(f)) !== undefined && !isLayerFile(f)).map(async (file) => ({ file, modifiedMs: await stat(file).then((s) => s.mtimeMs, () => -1) })),
  );
  dated.sort((a, b) => b.modifiedMs - a.modifiedMs || a.file.localeCompare(b.file));
  const out: HistoryRecord[] = [];
  for (const { file, modifiedMs } of dated) {
    if (modifiedMs < 0) continue;
    const parameters = await readAtelierParameters(file);
    if (parameters) out.push({ file, modifiedMs, parameters });
    if (out.length >= limit) break;
  }
  return out;
}

export function displayFolder(file: string, workspaceRoot: string | undefined): string {
  const dir = path.dirname(file);
  if (!workspaceRoot) return dir;
  const rel = path.relative(workspaceRoot, dir);
  return rel === '' ? '.' : rel.startsWith('..') ? dir : rel;
}
