/** `atelier models list | pull <repo[@rev]> | rm <repo[@commit]> | path <repo[@rev]>`. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PipelineError } from '../shared/errors';
import { loadCatalogue, selectionFor } from '../host/models/catalogue';
import { deleteCachedModel, findCachedModel, listCachedModels } from '../host/models/cachedModels';
import { readRef, repoCache } from '../host/models/hub/cacheLayout';
import { pullModel } from '../host/models/hub/pull';
import { isCommit, parseRepoRef } from '../host/models/hub/repoId';
import { hubEnvironment, timeoutSeconds } from '../host/models/hubEnvironment';
import { formatBytes, formatEta } from '../host/models/units';
import { UsageError } from './args';
import { listComfyModels, takeComfyUrl } from './comfyModels';

const CATALOGUE = path.join(__dirname, '..', 'assets', 'catalogue.json');

function flagSeconds(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  try {
    return timeoutSeconds(`--${flag}`, raw);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export async function modelsCommand(args: readonly string[], out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Promise<number> {
  const comfy = takeComfyUrl(args);
  let parsed;
  try {
    parsed = parseArgs({ args: comfy.rest, allowPositionals: true, strict: true, options: { 'connect-timeout': { type: 'string' }, 'idle-timeout': { type: 'string' }, json: { type: 'boolean' } } });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [action, target, ...rest] = parsed.positionals;
  const timeouts = { connectMs: flagSeconds('connect-timeout', parsed.values['connect-timeout']), idleMs: flagSeconds('idle-timeout', parsed.values['idle-timeout']) };
  if (action !== 'pull' && (timeouts.connectMs !== undefined || timeouts.idleMs !== undefined)) throw new UsageError('--connect-timeout and --idle-timeout apply to models pull');
  const env = hubEnvironment(process.env, undefined, timeouts);
  if (rest.length > 0) throw new UsageError(`models ${action} takes one argument, got ${rest.length + 1}`);
  if (comfy.url !== undefined && action !== 'list') throw new UsageError('--comfyui goes with models list');
  if (parsed.values.json && action !== 'list') throw new UsageError('--json goes with models list (models path prints one folder already)');
  switch (action) {
    case 'list': {
      const comfyUrl = comfy.url ?? process.env.ATELIER_COMFYUI_URL;
      if (comfyUrl && parsed.values.json) throw new UsageError('models list --json lists the local cache; the ComfyUI listing has no JSON form yet (unset ATELIER_COMFYUI_URL or leave out --json)');
      if (comfyUrl) return await listComfyModels(comfyUrl, comfy.url === undefined, out, err);
      const models = await listCachedModels(env.cacheRoot);
      if (parsed.values.json) {
        const catalogue = loadCatalogue(CATALOGUE);
        out.write(`${JSON.stringify({ cacheRoot: env.cacheRoot, cached: models.map((m) => ({ repo: m.repo, refs: m.refs, commit: m.commit, dir: m.dir, sizeBytes: m.sizeBytes, pipelineClass: m.pipelineClass ?? null })), catalogue })}\n`);
        return 0;
      }
      if (models.length === 0) out.write(`no models in ${env.cacheRoot}\n`);
      for (const m of models) {
        out.write(`${m.repo}${m.refs.length ? `@${m.refs.join(',')}` : ''}  ${m.commit.slice(0, 10)}  ${formatBytes(m.sizeBytes)}  ${m.pipelineClass ?? ''}\n  ${m.dir}\n`);
      }
      const catalogue = loadCatalogue(CATALOGUE);
      out.write(`\ncatalogue (${catalogue.length}; pull by repo id):\n`);
      for (const c of catalogue) out.write(`  ${c.repo}@${c.revision}${c.subfolder ? ` [${c.subfolder}]` : ''}  ${c.kind} ${c.family} ${c.precision}  ~${formatBytes(c.sizeBytes)}  ${c.providers.join('/')}  ${c.licence}${c.verified ? '' : '  (unverified)'}\n`);
      return 0;
    }
    case 'pull': {
      if (!target) throw new UsageError('models pull needs a repo id: atelier models pull org/name[@revision]');
      const ref = parseRepoRef(target);
      const entry = loadCatalogue(CATALOGUE).find((c) => c.repo === ref.repo && c.revision === ref.revision);
      const abort = new AbortController();
      const onSigint = (): void => abort.abort();
      process.on('SIGINT', onSigint);
      try {
        const result = await pullModel(ref, {
          ...env,
          selection: entry ? selectionFor(entry) : undefined,
          signal: abort.signal,
          onNotice: (message) => err.write(`${err.isTTY ? '\r\x1b[2K' : ''}atelier: ${message}\n`),
          onProgress: (p) => {
            const line = `${formatBytes(p.doneBytes)} / ${formatBytes(p.totalBytes)}  ${formatBytes(p.bytesPerSecond)}/s  ETA ${formatEta(p.etaSeconds)}  (${p.filesDone}/${p.filesTotal} files)`;
            err.write(err.isTTY ? `\r\x1b[2K${line}` : `${line}\n`);
          },
        });
        if (err.isTTY) err.write('\n');
        err.write(`atelier: ${result.fromCache ? 'already in the cache' : `downloaded ${formatBytes(result.downloadedBytes)}`} — ${ref.repo}@${result.commit.slice(0, 10)}\n`);
        out.write(`${result.dir}\n`);
        return 0;
      } finally {
        process.off('SIGINT', onSigint);
      }
    }
    case 'path': {
      if (!target) throw new UsageError('models path needs a repo id');
      const ref = parseRepoRef(target);
      const model = await findCachedModel(env.cacheRoot, ref);
      if (!model) throw new PipelineError('HUB_NOT_FOUND', `${ref.repo}@${ref.revision} is not in the cache at ${env.cacheRoot}; run atelier models pull ${target}`);
      out.write(`${model.dir}\n`);
      return 0;
    }
    case 'rm': {
      if (!target) throw new UsageError('models rm needs a repo id');
      const ref = parseRepoRef(target);
      const commit = isCommit(ref.revision) ? ref.revision : target.includes('@') ? await readRef(repoCache(env.cacheRoot, ref.repo), ref.revision) : undefined;
      if (target.includes('@') && !commit) throw new PipelineError('HUB_NOT_FOUND', `${target} is not in the cache`);
      const result = await deleteCachedModel(env.cacheRoot, ref.repo, commit);
      err.write(`atelier: removed ${result.removedSnapshots.length} snapshot(s) of ${ref.repo}, ${result.removedBlobs} unshared file(s), ${formatBytes(result.freedBytes)} freed\n`);
      for (const note of result.leftAlone) err.write(`atelier: ${note}\n`);
      return 0;
    }
    default:
      throw new UsageError(`models needs list, pull, rm or path; got ${JSON.stringify(action ?? '')}`);
  }
}
