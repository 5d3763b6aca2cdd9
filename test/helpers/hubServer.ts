/**
 * A local stand-in for the Hugging Face Hub (node:http on 127.0.0.1), serving fixture folders:
 * /api/models/<repo>/revision/<rev>, /api/models/<repo>/tree/<commit>?recursive=true (paginated),
 * /<repo>/resolve/<commit>/<path> with ETag, Range, If-Range, 206/200/416. LFS files redirect to a
 * second "CDN" server on another port, which records whether an Authorization header reached it.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface HubFile {
  readonly path: string;
  readonly content: Buffer;
  readonly lfs: boolean;
  readonly sha256: string;
  readonly oid: string;
}

export interface HubRepo {
  readonly repo: string;
  /** commit → folder served at that commit */
  readonly commits: Record<string, string>;
  readonly refs: Record<string, string>;
  readonly gated?: boolean;
}

export interface Faults {
  /** Close the connection after this many body bytes, on the next download of a matching path. */
  dropAfterBytes?: { path: string; bytes: number };
  /** Answer Range requests with a full 200. */
  ignoreRange?: boolean;
  /** Serve different bytes for this path (same length). */
  corruptPath?: string;
  /** Announce this many extra bytes in Content-Length. */
  contentLengthExtra?: number;
  /** Throttle file bodies (bytes per 50 ms tick). */
  slowChunkBytes?: number;
  /** Add a tree entry whose path escapes the snapshot. */
  escapingTreePath?: boolean;
  /** Advertise this size for every LFS file in the tree (the disk-space case). */
  advertisedLfsSize?: number;
  /** Accept these requests and never answer them (no status line, no headers). */
  neverAnswer?: 'api' | 'files';
  /** Send this many body bytes of a matching file, then hold the connection open without a byte more. */
  stallAfterBytes?: { path: string; bytes: number };
  /** Throttle API (JSON) bodies: this many bytes per 50 ms tick. */
  slowApiChunkBytes?: number;
  /** Answer a matching file with a redirect to this location (e.g. a file:// URL). */
  redirect?: { path: string; location: string };
}

export interface RecordedRequest {
  readonly url: string;
  readonly range?: string;
  readonly ifRange?: string;
  readonly authorization?: string;
  readonly status: number;
  readonly host: 'hub' | 'cdn';
}

export interface TestHub {
  readonly endpoint: string;
  readonly requests: RecordedRequest[];
  faults: Faults;
  close(): Promise<void>;
}

export const GOOD_TOKEN = 'hf_TESTSECRET123';

function listFolder(dir: string, prefix = ''): HubFile[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return listFolder(full, rel);
    const content = readFileSync(full);
    const lfs = /\.(onnx|onnx_data|pb|data)$/.test(e.name) || statSync(full).size > 100_000;
    const sha256 = createHash('sha256').update(content).digest('hex');
    const gitBlob = (bytes: Buffer): string => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${content.length}\n`);
    return [{ path: rel, content, lfs, sha256, oid: lfs ? gitBlob(pointer) : gitBlob(content) }];
  });
}

/** Writes `body` in `bytes`-sized pieces every 50 ms, then ends. */
function trickle(res: http.ServerResponse, body: Buffer, bytes: number): void {
  let offset = 0;
  const tick = setInterval(() => {
    if (res.destroyed) return clearInterval(tick);
    const next = body.subarray(offset, offset + bytes);
    offset += next.length;
    if (next.length === 0) {
      clearInterval(tick);
      res.end();
    } else res.write(next);
  }, 50);
  res.on('close', () => clearInterval(tick));
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

export async function startHub(repos: readonly HubRepo[], faults: Faults = {}): Promise<TestHub> {
  const files = new Map<string, HubFile[]>(); // `${repo}@${commit}` → files
  for (const r of repos) for (const [commit, dir] of Object.entries(r.commits)) files.set(`${r.repo}@${commit}`, listFolder(dir));
  const byHash = new Map<string, HubFile>();
  for (const list of files.values()) for (const f of list) byHash.set(f.sha256, f);
  const requests: RecordedRequest[] = [];
  const hub: TestHub = { endpoint: '', requests, faults, close: async () => undefined };

  const record = (req: http.IncomingMessage, status: number, host: 'hub' | 'cdn'): void => {
    requests.push({ url: req.url ?? '', range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined, authorization: req.headers.authorization, status, host });
  };

  const serveFile = (req: http.IncomingMessage, res: http.ServerResponse, file: HubFile, host: 'hub' | 'cdn'): void => {
    const f = hub.faults;
    let body = file.content;
    if (f.corruptPath === file.path) body = Buffer.from(body.map((b) => b ^ 0xff));
    const etag = `"${file.lfs ? file.sha256 : file.oid}"`;
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRangeOk = req.headers['if-range'] === undefined || req.headers['if-range'] === etag;
    if (range && !f.ignoreRange && ifRangeOk) {
      start = Number(range[1]);
      if (start >= body.length) {
        record(req, 416, host);
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` });
        res.end();
        return;
      }
      status = 206;
    }
    const slice = body.subarray(start);
    const headers: Record<string, string> = { ETag: etag, 'Content-Length': String(slice.length + (f.contentLengthExtra ?? 0)), 'Accept-Ranges': 'bytes' };
    if (status === 206) headers['Content-Range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    record(req, status, host);
    res.writeHead(status, headers);
    if (f.stallAfterBytes?.path === file.path) {
      res.write(slice.subarray(0, f.stallAfterBytes.bytes));
      return; // never another byte, never the end
    }
    const drop = f.dropAfterBytes && file.path === f.dropAfterBytes.path ? f.dropAfterBytes.bytes : undefined;
    if (drop !== undefined) {
      f.dropAfterBytes = undefined; // once
      // A clean FIN after exactly `drop` bytes: the client sees a premature end of a longer body.
      res.write(slice.subarray(0, drop), () => res.socket?.end());
      return;
    }
    if (f.slowChunkBytes) return trickle(res, slice, f.slowChunkBytes);
    res.end(slice);
  };

  const cdn = http.createServer((req, res) => {
    if (hub.faults.neverAnswer === 'files') return;
    const file = byHash.get((req.url ?? '').replace(/^\/cdn\//, ''));
    if (!file) {
      record(req, 404, 'cdn');
      res.writeHead(404).end();
      return;
    }
    serveFile(req, res, file, 'cdn');
  });
  const cdnBase = await listen(cdn);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://hub');
    const json = (status: number, value: unknown, extra: Record<string, string> = {}): void => {
      record(req, status, 'hub');
      const body = Buffer.from(JSON.stringify(value));
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(body.length), ...extra });
      if (hub.faults.slowApiChunkBytes) trickle(res, body, hub.faults.slowApiChunkBytes);
      else res.end(body);
    };
    if (hub.faults.neverAnswer === 'api' && url.pathname.startsWith('/api/')) return;
    if (hub.faults.neverAnswer === 'files' && url.pathname.includes('/resolve/')) return;
    const repoOf = (org: string, name: string): HubRepo | undefined => repos.find((r) => r.repo === `${org}/${name}`);
    let m = /^\/api\/models\/([^/]+)\/([^/]+)\/(revision|tree)\/(.+)$/.exec(url.pathname);
    if (m) {
      const repo = repoOf(m[1], m[2]);
      if (!repo) return json(404, { error: 'Repository not found' });
      if (repo.gated && req.headers.authorization !== `Bearer ${GOOD_TOKEN}`) return json(401, { error: 'Access to this repo is restricted' });
      const rev = decodeURIComponent(m[4]);
      const commit = repo.refs[rev] ?? (repo.commits[rev] ? rev : undefined);
      if (!commit) return json(404, { error: 'Revision not found' });
      if (m[3] === 'revision') return json(200, { id: repo.repo, sha: commit });
      const all = (files.get(`${repo.repo}@${commit}`) ?? []).map((f) => ({
        type: 'file',
        path: f.path,
        oid: f.oid,
        size: f.lfs ? 134 : f.content.length,
        ...(f.lfs ? { lfs: { oid: f.sha256, size: hub.faults.advertisedLfsSize ?? f.content.length, pointerSize: 134 } } : {}),
      }));
      if (hub.faults.escapingTreePath) all.push({ type: 'file', path: 'unet/../../../../etc/passwd', oid: 'a'.repeat(40), size: 10 });
      const dirs = [...new Set(all.map((e) => e.path.split('/')[0]).filter((p, _, arr) => arr.length > 0))].map((p) => ({ type: 'directory', path: p, oid: 'b'.repeat(40), size: 0 }));
      const entries = [...dirs, ...all];
      const cursor = Number(url.searchParams.get('cursor') ?? '0');
      const page = entries.slice(cursor, cursor + 5); // small pages: pagination is exercised
      const next: Record<string, string> = cursor + 5 < entries.length ? { Link: `<${hub.endpoint}/api/models/${repo.repo}/tree/${commit}?recursive=true&cursor=${cursor + 5}>; rel="next"` } : {};
      return json(200, page, next);
    }
    m = /^\/([^/]+)\/([^/]+)\/resolve\/([0-9a-f]{40})\/(.+)$/.exec(url.pathname);
    if (m) {
      const repo = repoOf(m[1], m[2]);
      if (!repo) return json(404, { error: 'Repository not found' });
      if (repo.gated && req.headers.authorization !== `Bearer ${GOOD_TOKEN}`) return json(401, { error: 'gated' });
      const file = (files.get(`${repo.repo}@${m[3]}`) ?? []).find((f) => f.path === decodeURIComponent(m?.[4] ?? ''));
      if (!file) return json(404, { error: 'Entry not found' });
      if (hub.faults.redirect?.path === file.path) {
        record(req, 302, 'hub');
        res.writeHead(302, { Location: hub.faults.redirect.location });
        res.end();
        return;
      }
      if (file.lfs) {
        record(req, 302, 'hub');
        res.writeHead(302, { Location: `${cdnBase}/cdn/${file.sha256}` });
        res.end();
        return;
      }
      serveFile(req, res, file, 'hub');
      return;
    }
    json(404, { error: 'not found' });
  });
  const endpoint = await listen(server);
  Object.assign(hub, {
    endpoint,
    close: () => {
      // Requests left hanging on purpose (neverAnswer, stallAfterBytes) must not keep the servers open.
      server.closeAllConnections();
      cdn.closeAllConnections();
      return Promise.all([new Promise((r) => server.close(r)), new Promise((r) => cdn.close(r))]).then(() => undefined);
    },
  });
  server.on('connection', (s) => s.unref());
  cdn.on('connection', (s) => s.unref());
  return hub;
}
