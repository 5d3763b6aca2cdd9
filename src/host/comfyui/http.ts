/**
 * HTTP to the ComfyUI server: connect, idle and whole-request timeouts, bounded bodies, abort, manual
 * redirects. The bearer token goes only to the configured origin: a redirect to another origin is
 * followed (GET only) without it, and every failure becomes one typed error naming the server.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { PipelineError } from '../../shared/errors';
import { serverLabel, TOKEN_HINT, type ComfyConnection } from './connection';

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Set when the answer came from another origin after a redirect (it got no token). */
  readonly redirectedTo?: URL;
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly query?: Record<string, string>;
  readonly json?: unknown;
  readonly body?: { readonly bytes: Uint8Array; readonly contentType: string };
  /** Largest body accepted; more is an error naming the server. */
  readonly maxBytes: number;
  /** Whole-request deadline (default: the connection's requestMs). */
  readonly totalMs?: number;
  readonly signal?: AbortSignal;
  /** What is being fetched, for messages ("the model list"). */
  readonly what: string;
}

const MAX_REDIRECTS = 5;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

function networkError(conn: ComfyConnection, url: URL, what: string, error: NodeJS.ErrnoException): PipelineError {
  const label = url.origin === conn.base.origin ? serverLabel(conn.base) : `${serverLabel(conn.base)} (redirected to ${url.host})`;
  const code = error.code ?? error.name;
  switch (code) {
    case 'ECONNREFUSED':
      return new PipelineError('BACKEND_UNREACHABLE', `nothing answers at ${label} (connection refused): start ComfyUI (python main.py --listen) or check the URL and port`, { detail: error.message });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new PipelineError('BACKEND_UNREACHABLE', `cannot find the host of ${label} (${code}): check the URL`, { detail: error.message });
    case 'ECONNRESET':
    case 'EPIPE':
      return new PipelineError('BACKEND_UNREACHABLE', `${label} closed the connection during ${what}`, { detail: error.message });
    default:
      return new PipelineError('BACKEND_UNREACHABLE', `could not talk to ${label} during ${what} (${code})`, { detail: error.message });
  }
}

function once(conn: ComfyConnection, url: URL, method: string, headers: Record<string, string>, payload: Uint8Array | undefined, options: RequestOptions, started: number): Promise<Omit<HttpResult, 'redirectedTo'>> {
  const { timeouts } = conn;
  const totalMs = options.totalMs ?? timeouts.requestMs;
  const label = serverLabel(conn.base);
  return new Promise((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    let received = 0;
    const finish = (error: PipelineError | undefined, value?: Omit<HttpResult, 'redirectedTo'>): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) {
        req.destroy();
        reject(error);
      } else resolve(value!);
    };
    const onAbort = (): void => finish(new PipelineError('CANCELLED', `cancelled while ${options.what} was under way`));
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, { method, headers: payload ? { ...headers, 'Content-Length': String(payload.length) } : headers });

    // Connect: until the socket (and TLS) is up. Idle: no byte either way for idleMs. Total: the whole call.
    timers.push(setTimeout(() => finish(new PipelineError('TIMEOUT', `${label} did not accept a connection within ${seconds(timeouts.connectMs)}: check the URL and that the server is running (raise the connect timeout for a slow link)`)), timeouts.connectMs));
    timers.push(setTimeout(() => finish(new PipelineError('TIMEOUT', `${label} took longer than ${seconds(totalMs)} for ${options.what} (${received} bytes received): the server or the link is too slow; raise the timeout if this is expected`)), Math.max(0, totalMs - (Date.now() - started))));
    let idle: NodeJS.Timeout | undefined;
    let written = -1;
    const armIdle = (socket: Socket): void => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => {
        // Still sending a large body: bytes are moving, so not idle.
        if (socket.bytesWritten !== written) {
          written = socket.bytesWritten;
          armIdle(socket);
          return;
        }
        finish(new PipelineError('TIMEOUT', `${label} stopped answering for ${seconds(timeouts.idleMs)} during ${options.what}: the server is stalled or the link is down (raise the idle timeout for a slow link)`));
      }, timeouts.idleMs);
      timers.push(idle);
    };
    req.on('socket', (socket: Socket) => {
      const connected = (): void => {
        clearTimeout(timers[0]);
        written = socket.bytesWritten;
        armIdle(socket);
      };
      if (socket.connecting) socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
      else connected();
      req.on('response', (res) => {
        armIdle(socket);
        const length = Number(res.headers['content-length']);
        if (Number.isFinite(length) && length > options.maxBytes) {
          finish(new PipelineError('BACKEND_INCOMPATIBLE', `${label} announced ${length} bytes for ${options.what}, more than the ${options.maxBytes} accepted`));
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          armIdle(socket);
          received += chunk.length;
          if (received > options.maxBytes) {
            finish(new PipelineError('BACKEND_INCOMPATIBLE', `${label} sent more than ${options.maxBytes} bytes for ${options.what}; refusing the rest`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (error: NodeJS.ErrnoException) => finish(networkError(conn, url, options.what, error)));
        res.on('aborted', () => finish(new PipelineError('BACKEND_UNREACHABLE', `${label} closed the connection while sending ${options.what}`)));
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => finish(networkError(conn, url, options.what, error)));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.end(payload);
  });
}

/** One API call relative to the server's base (`api/system_stats`). */
export async function comfyRequest(conn: ComfyConnection, relPath: string, options: RequestOptions): Promise<HttpResult> {
  let url = new URL(relPath, conn.base);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  let method: string = options.method ?? 'GET';
  let payload: Uint8Array | undefined;
  const baseHeaders: Record<string, string> = { 'User-Agent': 'atelier', Accept: 'application/json, image/*;q=0.9, */*;q=0.5' };
  if (options.json !== undefined) {
    payload = Buffer.from(JSON.stringify(options.json));
    baseHeaders['Content-Type'] = 'application/json';
  } else if (options.body) {
    payload = options.body.bytes;
    baseHeaders['Content-Type'] = options.body.contentType;
  }
  const started = Date.now();
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const sameOrigin = url.origin === conn.base.origin;
    const headers = conn.token && sameOrigin ? { ...baseHeaders, Authorization: `Bearer ${conn.token}` } : baseHeaders;
    const result = await once(conn, url, method, headers, payload, options, started);
    const location = result.headers.location;
    if (result.status >= 300 && result.status < 400 && location) {
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new PipelineError('BACKEND_INCOMPATIBLE', `${serverLabel(conn.base)} redirected ${options.what} to a ${next.protocol} address; Atelier follows only http(s)`);
      }
      const crossOrigin = next.origin !== conn.base.origin;
      if (method !== 'GET' && (crossOrigin || (result.status !== 307 && result.status !== 308))) {
        throw new PipelineError('BACKEND_INCOMPATIBLE', `${serverLabel(conn.base)} redirected ${method} for ${options.what} to ${next.origin}${next.pathname}; set the ComfyUI URL to the address the server really answers on`);
      }
      url = next;
      if (result.status === 303) method = 'GET';
      continue;
    }
    return { ...result, redirectedTo: url.origin === conn.base.origin ? undefined : url };
  }
  throw new PipelineError('BACKEND_INCOMPATIBLE', `${serverLabel(conn.base)} redirected ${options.what} more than ${MAX_REDIRECTS} times`);
}

/** A short, printable excerpt of an error body (servers put HTML, tracebacks or nothing there). */
export function bodyExcerpt(body: Buffer, max = 160): string {
  const text = body.toString('utf8').replace(/<[^>]*>/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Turns a non-2xx answer into the error it means; 400 is left to the caller (validation errors). */
export function statusError(conn: ComfyConnection, result: HttpResult, what: string): PipelineError {
  const label = serverLabel(conn.base);
  const excerpt = bodyExcerpt(result.body);
  if (result.status === 401 || result.status === 403) {
    if (result.redirectedTo) {
      return new PipelineError('BACKEND_AUTH_REQUIRED', `${label} redirected ${what} to ${result.redirectedTo.host}, which refused it (HTTP ${result.status}); Atelier sends the token only to ${conn.base.host}: if the server really is at ${result.redirectedTo.origin}, use that URL`);
    }
    return new PipelineError('BACKEND_AUTH_REQUIRED', conn.token
      ? `${label} refused the token (HTTP ${result.status}) for ${what}: check the token (ComfyUI-Login or your proxy's)`
      : `${label} asks for a token (HTTP ${result.status}): ${TOKEN_HINT}`);
  }
  if (result.status >= 500) return new PipelineError('BACKEND_UNREACHABLE', `${label} failed with HTTP ${result.status} on ${what}${excerpt ? `: ${excerpt}` : ''}`);
  return new PipelineError('BACKEND_INCOMPATIBLE', `${label} answered HTTP ${result.status} to ${what}${excerpt ? ` (${excerpt})` : ''}; is this a ComfyUI server?`);
}

/** Parses a JSON body, or says the server is not speaking ComfyUI's API. */
export function parseJson(conn: ComfyConnection, result: HttpResult, what: string): unknown {
  try {
    return JSON.parse(result.body.toString('utf8')) as unknown;
  } catch {
    const type = result.headers['content-type'] ?? 'no content type';
    throw new PipelineError('BACKEND_INCOMPATIBLE', `${serverLabel(conn.base)} answered ${what} with ${type} that is not JSON ("${bodyExcerpt(result.body, 60)}"): this is not a ComfyUI server, or a proxy is in the way; check the URL and port (ComfyUI listens on 8188 by default)`);
  }
}
