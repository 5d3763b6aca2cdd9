/**
 * Minimal HTTP for the Hub: manual redirects (the token is sent to the Hub's own host only, never
 * to a CDN it redirects to), abort support, and network errors mapped to typed errors.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { PipelineError } from '../../../shared/errors';

export interface HubConnection {
  /** https://huggingface.co or $HF_ENDPOINT (a mirror). */
  readonly endpoint: string;
  readonly token?: string;
  readonly userAgent?: string;
}

const MAX_REDIRECTS = 5;

function networkError(url: URL, error: NodeJS.ErrnoException): PipelineError {
  const code = error.code ?? error.name;
  return new PipelineError('NETWORK_FAILED', `could not reach ${url.host} (${code}): check your connection or proxy`, { detail: error.message });
}

function once(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, { method: 'GET', headers, signal }, resolve);
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') reject(new PipelineError('CANCELLED', 'download cancelled'));
      else reject(networkError(url, error));
    });
    req.end();
  });
}

/** GET with redirects; Authorization only for the endpoint's host (and only over https or loopback). */
export async function hubGet(connection: HubConnection, target: URL, headers: Record<string, string>, signal?: AbortSignal): Promise<IncomingMessage> {
  const endpointHost = new URL(connection.endpoint).host;
  let url = target;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const withAuth: Record<string, string> = { 'User-Agent': connection.userAgent ?? 'atelier', ...headers };
    if (connection.token && url.host === endpointHost) withAuth.Authorization = `Bearer ${connection.token}`;
    const response = await once(url, withAuth, signal);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      response.resume();
      url = new URL(response.headers.location, url);
      continue;
    }
    return response;
  }
  throw new PipelineError('NETWORK_FAILED', `too many redirects from ${target.host}`);
}

export async function readBody(response: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      response.destroy();
      throw new PipelineError('NETWORK_FAILED', `the Hub answered with more than ${maxBytes} bytes where a small JSON document was expected`);
    }
    chunks.push(chunk as Buffer);
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
