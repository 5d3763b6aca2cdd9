/**
 * The websocket to ComfyUI (`/api/ws?clientId=…`) with the `ws` package: the token in the handshake
 * (to the configured origin only: redirects are not followed), a handshake timeout, bounded frames,
 * and pings so a dead link is noticed although ComfyUI itself sends nothing between jobs.
 */
import WebSocket from 'ws';
import { PipelineError } from '../../shared/errors';
import { serverLabel, TOKEN_HINT, type ComfyConnection } from './connection';
import { parseBinaryFrame, parseMessage, type ComfyMessage, type PreviewFrame } from './messages';

export interface SocketHandlers {
  onMessage(message: ComfyMessage): void;
  onPreview(frame: PreviewFrame): void;
  /** Called once when an open socket closes (not after `close()`). */
  onClose(reason: string): void;
}

/** Largest frame accepted: previews are small; an `executed` message lists a few files. */
const MAX_FRAME_BYTES = 32 * 1024 * 1024;

export class ComfySocket {
  private closedByUs = false;

  private constructor(private readonly ws: WebSocket) {}

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.closedByUs = true;
    this.ws.terminate();
  }

  static open(conn: ComfyConnection, clientId: string, handlers: SocketHandlers): Promise<ComfySocket> {
    const label = serverLabel(conn.base);
    const url = new URL('api/ws', conn.base);
    url.protocol = conn.base.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('clientId', clientId);
    const ws = new WebSocket(url, {
      headers: conn.token ? { Authorization: `Bearer ${conn.token}` } : {},
      handshakeTimeout: conn.timeouts.connectMs,
      maxPayload: MAX_FRAME_BYTES,
      followRedirects: false,
      perMessageDeflate: false,
    });
    const socket = new ComfySocket(ws);
    return new Promise((resolve, reject) => {
      let opened = false;
      ws.on('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        ws.terminate();
        if (status === 401 || status === 403) {
          reject(new PipelineError('BACKEND_AUTH_REQUIRED', conn.token ? `${label} refused the token for its websocket (HTTP ${status})` : `${label} asks for a token for its websocket (HTTP ${status}): ${TOKEN_HINT}`));
        } else if (status === 404) {
          reject(new PipelineError('BACKEND_INCOMPATIBLE', `${label} has no websocket at /api/ws (HTTP 404): it is not ComfyUI, or too old`));
        } else {
          reject(new PipelineError('BACKEND_UNREACHABLE', `${label} refused the websocket (HTTP ${status})`));
        }
      });
      ws.on('error', (error: NodeJS.ErrnoException) => {
        if (opened) return; // 'close' follows and reports it
        const message = /handshake has timed out/i.test(error.message)
          ? new PipelineError('TIMEOUT', `${label} did not open its websocket within ${(conn.timeouts.connectMs / 1000).toFixed(0)} s`)
          : new PipelineError('BACKEND_UNREACHABLE', `could not open the websocket of ${label} (${error.code ?? error.message})`, { detail: error.message });
        reject(message);
      });
      ws.on('open', () => {
        opened = true;
        // Ask for previews that carry their prompt id (ComfyUI ≥ 0.3.4x); older servers ignore this.
        ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
        socket.keepAlive(conn.timeouts.idleMs, handlers);
        resolve(socket);
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) {
          const frame = parseBinaryFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
          if (frame) handlers.onPreview(frame);
          return;
        }
        const message = parseMessage(data.toString('utf8'));
        if (message) handlers.onMessage(message);
      });
    });
  }

  /** Pings every half idle period; no pong by the next ping means the link is dead. */
  private keepAlive(idleMs: number, handlers: SocketHandlers): void {
    let answered = true;
    const timer = setInterval(() => {
      if (!answered) {
        this.ws.terminate();
        return;
      }
      answered = false;
      this.ws.ping();
    }, Math.max(50, Math.floor(idleMs / 2)));
    this.ws.on('pong', () => {
      answered = true;
    });
    this.ws.on('close', (code: number, reason: Buffer) => {
      clearInterval(timer);
      if (!this.closedByUs) handlers.onClose(answered ? `closed (${code}${reason.length ? ` ${reason.toString('utf8').slice(0, 80)}` : ''})` : 'no answer to pings');
    });
  }
}
