/**
 * `atelier build [paths…]`: recipes → images, like a build system. Human lines on stderr (progress) and
 * stdout (one line per recipe), or one JSON report on stdout with --json. Exit 0 when everything is
 * built or up to date (--check: up to date), 1 otherwise, after every recipe was tried.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { callbacksFor, type Backend } from '../host/backend/backend';
import { ComfyBackend } from '../host/backend/comfyBackend';
import { OnnxBackend } from '../host/backend/onnxBackend';
import { hubEnvironment } from '../host/models/hubEnvironment';
import { BuildPathError, findRecipes, localModelResolver } from '../host/recipes/loadRecipes';
import { LOCK_FILE } from '../host/recipes/lockFile';
import { runBuild, type BuildItem } from '../host/recipes/runBuild';
import type { WorkerSupervisor } from '../host/worker/workerSupervisor';
import { UsageError, type BuildArgs } from './args';
import { ProgressBar } from './progressBar';

const MARK: Record<BuildItem['outcome'], string> = { built: '⟳ built', derived: '⟳ derived', recorded: '✓ recorded', 'up-to-date': '✓ up to date', 'would-build': '… stale', blocked: '! blocked', failed: '✗ failed', cancelled: '✗ cancelled' };

/** The workspace: --root, else the nearest folder up from `start` holding atelier.lock.json or .git, else `start`. */
export function buildRoot(flag: string | undefined, start: string = process.cwd()): string {
  if (flag !== undefined) return path.resolve(flag);
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, LOCK_FILE)) || existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start);
  }
}

function line(item: BuildItem): string {
  const why = item.reasons.length > 0 && item.outcome !== 'up-to-date' ? ` (${item.reasons.join('; ')})` : '';
  const rest = [...item.problems.map((p) => `    ${p}`), ...item.notes.map((n) => `    note: ${n}`)];
  const label = item.outcome === 'would-build' && item.state === 'fresh' ? '… record' : MARK[item.outcome];
  return [`${label.padEnd(14)} ${item.image}${why}`, ...rest].join('\n');
}

export async function buildCommand(args: BuildArgs, supervisor: () => WorkerSupervisor): Promise<number> {
  const root = buildRoot(args.root);
  let recipes: string[];
  try {
    recipes = await findRecipes(args.paths.length > 0 ? args.paths : [root]);
  } catch (error) {
    if (error instanceof BuildPathError) throw new UsageError(error.message);
    throw error;
  }
  const outside = recipes.filter((r) => path.relative(root, r).startsWith('..'));
  if (outside.length > 0) throw new UsageError(`${outside[0]} is outside the workspace ${root}; run atelier build from the project folder or pass --root <folder>`);
  const comfyUrl = args.comfyui ?? process.env.ATELIER_COMFYUI_URL;
  let client: WorkerSupervisor | undefined;
  let local: Backend | undefined;
  let comfy: ComfyBackend | undefined;
  const abort = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\natelier: cancelling the build… (the images built so far are kept and recorded)\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  let bar = new ProgressBar();
  try {
    const report = await runBuild({
      root,
      recipes,
      resolveModel: localModelResolver({ demoDir: path.join(__dirname, 'demo-model'), cacheRoot: hubEnvironment().cacheRoot }),
      backend: (recipe) => {
        if ((recipe.backend ?? 'local') === 'comfyui') {
          if (!comfyUrl) throw new UsageError('this recipe runs on a ComfyUI server ("backend": "comfyui"); pass --comfyui <url> or set ATELIER_COMFYUI_URL');
          comfy ??= new ComfyBackend({ url: comfyUrl, token: process.env.ATELIER_COMFYUI_TOKEN || undefined, log: () => undefined });
          return comfy;
        }
        // One warm worker for the whole build: the model stays loaded from one recipe to the next.
        client ??= supervisor();
        const c = client;
        local ??= new OnnxBackend({ client: () => c, cacheRoot: hubEnvironment().cacheRoot });
        return local;
      },
      segmentPerson: async (image) => {
        client ??= supervisor();
        return (await client.segmentPerson({ width: image.width, height: image.height, rgba: image.data, executionProvider: args.provider })).mask;
      },
      mode: args.mode,
      force: args.force,
      executionProvider: args.provider,
      controlNetRoots: (process.env.ATELIER_CONTROLNETS ?? '').split(path.delimiter).filter((r) => r !== '').map((r) => path.resolve(r)),
      writeMetadata: args.metadata,
      jobs: args.jobs,
      signal: abort.signal,
      callbacks: callbacksFor((event) => bar.update(event)),
      onStart: (item) => {
        bar = new ProgressBar();
        process.stderr.write(`atelier: [${item.index + 1}/${item.total}] ${item.action === 'generate' ? 'generating' : item.action === 'derive' ? 'deriving files of' : 'recording'} ${item.image}\n`);
      },
      onItem: (item) => {
        bar.clearLine();
        if (!args.json) process.stdout.write(`${line(item)}\n`);
      },
    });
    const count = (o: BuildItem['outcome']): number => report.items.filter((i) => i.outcome === o).length;
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ ok: report.ok, mode: args.mode, root, lockFile: path.join(root, LOCK_FILE), items: report.items })}\n`);
    } else {
      const parts = (['built', 'derived', 'recorded', 'up-to-date', 'would-build', 'blocked', 'failed', 'cancelled'] as const).filter((o) => count(o) > 0).map((o) => `${count(o)} ${o === 'would-build' ? 'stale' : o.replace(/-/g, ' ')}`);
      process.stderr.write(`atelier: ${report.items.length} recipe${report.items.length === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}${args.mode === 'check' ? (report.ok ? ' — all up to date' : ' — run atelier build') : ''}\n`);
    }
    if (abort.signal.aborted) return 130;
    return report.ok ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    comfy?.close();
    await (client as WorkerSupervisor | undefined)?.dispose();
  }
}
