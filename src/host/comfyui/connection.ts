/**
 * Where the ComfyUI server is and how patient to be with it. The URL is checked once: http(s) only, no
 * credentials, query or fragment in it (the token travels in a header, never in a URL that ends up in
 * logs and error messages), and a base path is kept (a reverse proxy or SwarmUI's ComfyBackendDirect).
 */
import { PipelineError } from '../../shared/errors';

export interface ComfyTimeouts {
  /** TCP (and TLS) connection, and the websocket handshake. */
  readonly connectMs: number;
  /** Longest silence while a request or response is under way. */
  readonly idleMs: number;
  /** Whole API request or response (a server trickling bytes cannot hold a call open forever). */
  readonly requestMs: number;
  /** Whole image upload or download. */
  readonly transferMs: number;
  /** After the websocket drops mid-job: how long to keep reconnecting before giving up. */
  readonly reconnectMs: number;
}

export const DEFAULT_TIMEOUTS: ComfyTimeouts = { connectMs: 10_000, idleMs: 30_000, requestMs: 60_000, transferMs: 300_000, reconnectMs: 60_000 };

export interface ComfyConnection {
  /** The server's base URL, ending in `/` (`http://host:8188/` or `https://proxy/comfy/`). */
  readonly base: URL;
  /** Bearer token (ComfyUI-Login or a reverse proxy); sent only to `base`'s origin. */
  readonly token?: string;
  readonly timeouts: ComfyTimeouts;
}

/** Where a token is set, for messages (the editor's command comes with the ComfyUI settings). */
export const TOKEN_HINT = 'set the ComfyUI token (ATELIER_COMFYUI_TOKEN for the CLI): the bearer token of ComfyUI-Login or of your proxy';

/** "ComfyUI at 127.0.0.1:8188": how every message names the server. */
export function serverLabel(base: URL): string {
  const prefix = base.pathname === '/' ? '' : base.pathname.replace(/\/$/, '');
  return `ComfyUI at ${base.host}${prefix}`;
}

/** Parses the configured URL (`host:port` alone means http). */
export function parseComfyUrl(text: string): URL {
  const trimmed = text.trim();
  if (trimmed === '') throw new PipelineError('INVALID_INPUT', 'the ComfyUI URL is empty: give the server address, e.g. http://127.0.0.1:8188', { argument: 'comfyui' });
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new PipelineError('INVALID_INPUT', `the ComfyUI URL ${JSON.stringify(trimmed)} is not a valid address; use e.g. http://127.0.0.1:8188`, { argument: 'comfyui' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PipelineError('INVALID_INPUT', `the ComfyUI URL must start with http:// or https://, got ${url.protocol}//`, { argument: 'comfyui' });
  }
  if (url.username || url.password) {
    throw new PipelineError('INVALID_INPUT', 'the ComfyUI URL contains a user name or password; remove it and give the token separately (it is sent as a bearer token, never in the URL)', { argument: 'comfyui' });
  }
  if (url.search || url.hash) throw new PipelineError('INVALID_INPUT', `the ComfyUI URL must not have a query or fragment (${url.search}${url.hash}); give the server's base address`, { argument: 'comfyui' });
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** A bearer token must be one header-safe word (no spaces or line breaks: they would split the header). */
export function checkToken(token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined;
  if (!/^[\x21-\x7e]+$/.test(token)) throw new PipelineError('INVALID_INPUT', 'the ComfyUI token contains spaces, line breaks or non-ASCII characters; paste only the token itself', { argument: 'token' });
  return token;
}

export function makeConnection(url: string, token?: string, timeouts: Partial<ComfyTimeouts> = {}): ComfyConnection {
  for (const [name, ms] of Object.entries(timeouts)) {
    if (ms !== undefined && (!Number.isFinite(ms) || ms <= 0)) throw new PipelineError('INVALID_INPUT', `the ComfyUI ${name} timeout must be a positive number of milliseconds, got ${String(ms)}`, { argument: 'timeouts' });
  }
  return { base: parseComfyUrl(url), token: checkToken(token), timeouts: { ...DEFAULT_TIMEOUTS, ...timeouts } };
}
