/**
 * Minimal HTTP for the Hub: manual redirects (the token is sent to the Hub's own host only, never
 * to a CDN it redirects to; only http and https are followed), abort support, network errors mapped
 * to typed errors, and nothing that can hang:
 * - connect timeout: from the request until the response headers (DNS, TCP, TLS, a server that never
 *   answers or trickles its headers);
 * - idle timeout: a body that delivers fewer than MIN_PROGRESS_BYTES in that time (stalled mid-body,
 *   or one byte a second) fails.
 * Both name the host and say how to raise them for slow links.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { PipelineError } from '../../../shared/errors';

export interface NetworkTimeouts {
  /** Milliseconds from the request to the response headers. */
  readonly connectMs: number;
  /** A body must deliver MIN_PROGRESS_BYTES within every window of this many milliseconds. */
  readonly idleMs: number;
}

export const DEFAULT_TIMEOUTS: NetworkTimeouts = { connectMs: 30_000, idleMs: 60_000 };
export const MIN_PROGRESS_BYTES = 1024;

/** Where a user raises the timeouts, named in every timeout message. */
const RAISE_HINT = {
  connect: 'on a slow link raise the connect timeout (VS Code setting atelier.network.connectTimeout; CLI --connect-timeout or ATELIER_CONNECT_TIMEOUT, in seconds)',
  idle: 'on a slow link raise the idle timeout (VS Code setting atelier.network.idleTimeout; CLI --idle-timeout or ATELIER_IDLE_TIMEOUT, in seconds)',
} as const;

export interface HubConnection {
  /** https://huggingface.co or $HF_ENDPOINT (a mirror). */
  readonly endpoint: string;
  readonly token?: string;
  readonly userAgent?: string;
  readonly timeouts?: NetworkTimeouts;
}

/** A connect or idle timeout: the host did not answer, or stopped sending. */
export class NetworkTimeoutError extends PipelineError {
  constructor(
    readonly phase: 'connect' | 'idle',
    message: string,
  ) {
    super('NETWORK_FAILED', message);
    this.name = 'NetworkTimeoutError';
  }
}

export interface HubResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body, watched by the idle timeout; a cancel gives CANCELLED, a drop NETWORK_FAILED. */
  chunks(): AsyncGenerator<Buffer>;
  /** Drops the body (an error status, a redirect). */
  discard(): void;
}

const MAX_REDIRECTS = 5;
const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

function networkError(url: URL, error: NodeJS.ErrnoException): PipelineError {
  const code = error.code ?? error.name;
  return new PipelineError('NETWORK_FAILED', `could not reach ${url.host} (${code}): check your connection or proxy`, { detail: error.message });
}

function cancelled(): PipelineError {
  return new PipelineError('CANCELLED', 'the download was cancelled');
}

function once(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined, timeouts: NetworkTimeouts): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, { method: 'GET', headers, signal }, (response) => {
      clearTimeout(timer);
      resolve(response);
    });
    const timer = setTimeout(() => {
      req.destroy(new NetworkTimeoutError('connect', `${url.host} did not answer within ${seconds(timeouts.connectMs)} (connect timeout); check your connection or proxy, or ${RAISE_HINT.connect}`));
    }, timeouts.connectMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error instanceof NetworkTimeoutError) reject(error);
      else if (signal?.aborted || error.name === 'AbortError') reject(cancelled());
      else reject(networkError(url, error));
    });
    req.end();
  });
}

function watched(response: IncomingMessage, url: URL, signal: AbortSignal | undefined, timeouts: NetworkTimeouts): HubResponse {
  return {
    status: response.statusCode ?? 0,
    headers: response.headers,
    discard: () => response.destroy(),
    chunks: async function* () {
      let received = 0;
      let atLastCheck = 0;
      const watchdog = setInterval(() => {
        if (received - atLastCheck < MIN_PROGRESS_BYTES) {
          response.destroy(
            new NetworkTimeoutError('idle', `${url.host} sent ${received - atLastCheck} bytes in the last ${seconds(timeouts.idleMs)}, fewer than the ${MIN_PROGRESS_BYTES} required (idle timeout); ${RAISE_HINT.idle}`),
          );
        }
        atLastCheck = received;
      }, timeouts.idleMs);
      try {
        for await (const chunk of response as AsyncIterable<Buffer>) {
          received += chunk.length;
          yield chunk;
        }
      } catch (error) {
        if (error instanceof PipelineError) throw error;
        if (signal?.aborted || (error as Error).name === 'AbortError') throw cancelled();
        const code = (error as NodeJS.ErrnoException).code;
        throw new PipelineError('NETWORK_FAILED', `the connection to ${url.host} dropped (${code ?? (error as Error).message})`, { detail: (error as Error).message });
      } finally {
        clearInterval(watchdog);
        if (!response.complete) response.destroy();
      }
    },
  };
}

/** GET with redirects; Authorization only for the endpoint's host (and only over https or loopback). */
export async function hubGet(connection: HubConnection, target: URL, headers: Record<string, string>, signal?: AbortSignal): Promise<HubResponse> {
  const endpointHost = new URL(connection.endpoint).host;
  const timeouts = connection.timeouts ?? DEFAULT_TIMEOUTS;
  let url = target;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new PipelineError('NETWORK_FAILED', `${hop === 0 ? 'the address' : `a redirect from ${target.host}`} ${url.href} is not an http or https address; refused`);
    }
    const withAuth: Record<string, string> = { 'User-Agent': connection.userAgent ?? 'atelier', ...headers };
    if (connection.token && url.host === endpointHost) withAuth.Authorization = `Bearer ${connection.token}`;
    const response = await once(url, withAuth, signal, timeouts);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      response.destroy();
      url = new URL(response.headers.location, url);
      continue;
    }
    return watched(response, url, signal, timeouts);
  }
  throw new PipelineError('NETWORK_FAILED', `too many redirects from ${target.host}`);
}

export async function readBody(response: HubResponse, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.chunks()) {
    total += chunk.length;
    if (total > maxBytes) {
      response.discard();
      throw new PipelineError('NETWORK_FAILED', `the Hub answered with more than ${maxBytes} bytes where a small JSON document was expected`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Maps an HTTP status of a Hub call to a typed error that says what to do. */
export function statusError(status: number, connection: HubConnection, what: string, repo: string): PipelineError {
  const page = `${connection.endpoint.replace(/\/+$/, '')}/${repo}`;
  if (status === 401 || status === 403) {
    return new PipelineError(
      'HUB_AUTH_REQUIRED',
      `Hugging Face refused access to ${what} (HTTP ${status}): the repo is gated or private. Accept its licence at ${page} while logged in, then set a token (HF_TOKEN, or "Atelier: Set Hugging Face Token")`,
    );
  }
  if (status === 404) return new PipelineError('HUB_NOT_FOUND', `${what} was not found on ${connection.endpoint} (HTTP 404): check the repo id, revision and file name`);
  if (status === 429) return new PipelineError('NETWORK_FAILED', `${connection.endpoint} is rate-limiting requests (HTTP 429); wait a minute and try again`);
  return new PipelineError('NETWORK_FAILED', `${connection.endpoint} answered HTTP ${status} for ${what}`);
}
