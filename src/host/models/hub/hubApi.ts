/** Hub API calls: resolve a revision to a commit, list a commit's files (recursive, paginated). */
import { PipelineError } from '../../../shared/errors';
import { checkRepoPath } from './cacheLayout';
import { hubGet, readBody, statusError, type HubConnection } from './http';
import type { RepoRef } from './repoId';
import type { TreeEntry } from './selectFiles';

const MAX_JSON_BYTES = 32 * 1024 * 1024;

async function getJson(connection: HubConnection, url: URL, what: string, repo: string, signal?: AbortSignal): Promise<{ json: unknown; link?: string }> {
  const response = await hubGet(connection, url, { Accept: 'application/json' }, signal);
  if (response.status !== 200) {
    response.discard();
    throw statusError(response.status, connection, what, repo);
  }
  const body = await readBody(response, MAX_JSON_BYTES);
  try {
    const link = response.headers.link;
    return { json: JSON.parse(body.toString('utf8')), link: Array.isArray(link) ? link.join(', ') : link };
  } catch {
    throw new PipelineError('NETWORK_FAILED', `${connection.endpoint} returned malformed JSON for ${what}`);
  }
}

function api(connection: HubConnection, path: string): URL {
  return new URL(`${connection.endpoint.replace(/\/+$/, '')}/api/models/${path}`);
}

export async function resolveCommit(connection: HubConnection, ref: RepoRef, signal?: AbortSignal): Promise<string> {
  const { json } = await getJson(connection, api(connection, `${ref.repo}/revision/${encodeURIComponent(ref.revision)}`), `${ref.repo}@${ref.revision}`, ref.repo, signal);
  const sha = (json as { sha?: unknown }).sha;
  if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) throw new PipelineError('NETWORK_FAILED', `the Hub did not return a commit for ${ref.repo}@${ref.revision}`);
  return sha;
}

function nextLink(link: string | undefined): string | undefined {
  return link?.split(',').map((part) => /<([^>]+)>;\s*rel="next"/.exec(part)?.[1]).find((u) => u !== undefined);
}

interface RawEntry {
  type?: unknown;
  path?: unknown;
  size?: unknown;
  oid?: unknown;
  lfs?: { oid?: unknown; size?: unknown };
}

function toEntry(raw: RawEntry): TreeEntry | undefined {
  if (raw.type !== 'file') return undefined;
  if (typeof raw.path !== 'string' || typeof raw.size !== 'number' || typeof raw.oid !== 'string') throw new PipelineError('NETWORK_FAILED', 'the Hub tree listing has an entry without path, size or oid');
  const path = checkRepoPath(raw.path);
  if (!/^[0-9a-f]{40}$/.test(raw.oid)) throw new PipelineError('NETWORK_FAILED', `the Hub tree listing has a malformed oid for ${path}`);
  if (raw.lfs) {
    const { oid, size } = raw.lfs;
    if (typeof oid !== 'string' || !/^[0-9a-f]{64}$/.test(oid) || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new PipelineError('NETWORK_FAILED', `the Hub tree listing has a malformed LFS entry for ${path}`);
    }
    return { path, size: raw.size, oid: raw.oid, lfs: { sha256: oid, size } };
  }
  return { path, size: raw.size, oid: raw.oid };
}

export async function listTree(connection: HubConnection, repo: string, commit: string, signal?: AbortSignal): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  let url: URL | undefined = api(connection, `${repo}/tree/${commit}?recursive=true`);
  for (let page = 0; url && page < 1000; page++) {
    const { json, link }: { json: unknown; link?: string } = await getJson(connection, url, `${repo}@${commit} (file list)`, repo, signal);
    if (!Array.isArray(json)) throw new PipelineError('NETWORK_FAILED', `the Hub tree listing for ${repo} is not a list`);
    for (const raw of json as RawEntry[]) {
      const entry = toEntry(raw);
      if (entry) entries.push(entry);
    }
    const next = nextLink(link);
    url = next ? new URL(next, url) : undefined;
  }
  return entries;
}

export function fileUrl(connection: HubConnection, repo: string, commit: string, repoPath: string): URL {
  return new URL(`${connection.endpoint.replace(/\/+$/, '')}/${repo}/resolve/${commit}/${repoPath.split('/').map(encodeURIComponent).join('/')}`);
}
