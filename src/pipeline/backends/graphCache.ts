/**
 * The optimised-graph cache: onnxruntime spends most of a large model's load optimising its graph
 * (constant folding, fusions, the CPU's blocked convolution layout). The first CPU load saves the optimised
 * graph (weights as external data) under the cache; later loads open it with optimisation off.
 *
 * An entry is keyed by the source (path, and name, size and mtime of every file in its component folder),
 * onnxruntime's version, the provider and the CPU (the saved layout is specific to it). A changed source gets
 * a new key, and writing it removes the entries of the same source and variant (optimised, int8) with other keys.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CACHED_GRAPH_FILE = 'model.onnx';
export const CACHED_WEIGHTS_FILE = 'weights.bin';
const COMPLETE_MARKER = 'complete';
/** Graphs smaller than this load in well under a second: not worth the disk. */
export const DEFAULT_MIN_CACHE_BYTES = 64 * 1024 * 1024;

export interface GraphCacheOptions {
  readonly root: string | undefined;
  readonly minBytes: number;
}

/** `ATELIER_GRAPH_CACHE=off` turns the cache off; `ATELIER_GRAPH_CACHE_DIR` moves it (default ~/.cache/atelier/optimized-graphs). */
export function graphCacheOptions(env: NodeJS.ProcessEnv = process.env): GraphCacheOptions {
  if ((env.ATELIER_GRAPH_CACHE ?? '').trim().toLowerCase() === 'off') return { root: undefined, minBytes: DEFAULT_MIN_CACHE_BYTES };
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return { root: env.ATELIER_GRAPH_CACHE_DIR ?? path.join(base, 'atelier', 'optimized-graphs'), minBytes: DEFAULT_MIN_CACHE_BYTES };
}

export type GraphCachePlan =
  | { readonly kind: 'off'; readonly reason: string }
  | { readonly kind: 'hit'; readonly file: string }
  | { readonly kind: 'miss'; readonly saveFile: string; commit(): void; abort(): void };

function folderFiles(source: string): Array<{ name: string; size: number; mtimeMs: number }> {
  const dir = path.dirname(source);
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const st = statSync(path.join(dir, e.name));
      return { name: e.name, size: st.size, mtimeMs: st.mtimeMs };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

/** Where the optimised form of `source` is, or where to save it while opening the source. */
export function planGraphCache(source: string, runtime: { ortVersion: string; provider: string }, options: GraphCacheOptions, variant = 'optimised'): GraphCachePlan {
  if (!options.root) return { kind: 'off', reason: 'ATELIER_GRAPH_CACHE=off' };
  if (runtime.provider !== 'cpu') return { kind: 'off', reason: `only CPU graphs are cached (${runtime.provider})` };
  const files = folderFiles(source);
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  if (bytes < options.minBytes) return { kind: 'off', reason: 'small graph' };
  const abs = path.resolve(source);
  const key = `${variant}-${sha(JSON.stringify({ abs, files, ...runtime, variant, arch: process.arch, cpu: os.cpus()[0]?.model ?? 'unknown', level: 'all' }))}`;
  const sourceDir = path.join(options.root, sha(abs));
  const entry = path.join(sourceDir, key);
  if (existsSync(path.join(entry, COMPLETE_MARKER)) && existsSync(path.join(entry, CACHED_GRAPH_FILE))) return { kind: 'hit', file: path.join(entry, CACHED_GRAPH_FILE) };
  mkdirSync(sourceDir, { recursive: true });
  // The optimised weights take about the source's size again; leave the disk a margin.
  const free = statfsSync(sourceDir);
  if (free.bavail * free.bsize < bytes * 1.5) return { kind: 'off', reason: `not enough free disk in ${sourceDir} for a ${(bytes / 1e9).toFixed(1)} GB optimised graph` };
  const temp = path.join(sourceDir, `.tmp-${key}-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp);
  return {
    kind: 'miss',
    saveFile: path.join(temp, CACHED_GRAPH_FILE),
    commit: () => {
      writeFileSync(path.join(temp, COMPLETE_MARKER), `${abs}\n`);
      rmSync(entry, { recursive: true, force: true });
      renameSync(temp, entry);
      // Entries of the same source and variant under other keys are stale: it changed, or onnxruntime did.
      for (const other of readdirSync(sourceDir)) if (other !== key && other.startsWith(`${variant}-`)) rmSync(path.join(sourceDir, other), { recursive: true, force: true });
    },
    abort: () => rmSync(temp, { recursive: true, force: true }),
  };
}
