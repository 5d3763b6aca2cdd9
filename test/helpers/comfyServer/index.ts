/**
 * A loopback ComfyUI test double, written from ComfyUI's server.py / execution.py / main.py protocol:
 * the HTTP routes (with and without the `/api` prefix), the websocket (`status` with the sid on connect,
 * `execution_start`, `execution_cached`, `executing`, `progress`, `executed`, `execution_success`,
 * `execution_error`, `execution_interrupted`, then `executing` with node null), binary previews (event 1
 * + image type + JPEG; event 4 with JSON metadata for clients that negotiate `supports_preview_metadata`),
 * validate_prompt's errors, one prompt running at a time from a queue, history, interrupt and queue
 * deletion. `faults` switches on the failures a real server or network shows (see ComfyFaults).
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { WebSocketServer, type WebSocket } from 'ws';
import { executePrompt, Interrupted, NodeFailure, type Img } from './execute';
import { faultyImage, type ComfyFaults } from './faults';
import { storeUpload, viewFile } from './files';
import { parseMultipart } from './multipart';
import { objectInfo, type ServerModels } from './objectInfo';
import { validatePrompt, type Prompt } from './validatePrompt';

export { expectedPixel } from './execute';
export type { ComfyFaults } from './faults';
export { COMFY_SAMPLERS, COMFY_SCHEDULERS } from './objectInfo';

export interface ComfyDoubleOptions {
  readonly models?: Partial<ServerModels>;
  /** A server from before June 2024: no `/api` routes, no comfyui_version, ignores prompt ids. */
  readonly tooOld?: boolean;
  readonly faults?: ComfyFaults;
}

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
  readonly body?: unknown;
}

interface QueueItem {
  readonly number: number;
  readonly promptId: string;
  readonly prompt: Prompt;
  readonly extraData: { client_id?: string };
  readonly outputs: string[];
}

export interface ComfyDouble {
  readonly url: string;
  readonly faults: ComfyFaults;
  readonly calls: RecordedCall[];
  /** Prompts accepted, in order, with the id the server used. */
  readonly prompts: { promptId: string; prompt: Prompt; clientId?: string }[];
  readonly interrupts: { promptId?: string }[];
  readonly uploads: Map<string, Uint8Array>;
  /** Server-side execution time of each prompt (for the bench). */
  readonly executions: { promptId: string; ms: number }[];
  /** Resolves when no prompt is running or queued. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_MODELS: ServerModels = {
  checkpoints: ['sd_xl_base_1.0.safetensors', 'v1-5-pruned-emaonly.safetensors', 'SD1.5/dreamshaper_8.safetensors'],
  controlnets: ['control_v11p_sd15_openpose.pth', 'control_v11f1p_sd15_depth.pth', 'SDXL/controlnet-canny-sdxl-1.0.safetensors'],
  loras: ['pixel-art-xl.safetensors', 'style/watercolor_v2.safetensors'],
  upscaleModels: ['4x-UltraSharp.pth', 'RealESRGAN_x2plus.pth'],
};

const NOT_COMFY_PAGE = '<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1></body></html>';

export async function startComfyServer(options: ComfyDoubleOptions = {}): Promise<ComfyDouble> {
  const models: ServerModels = { ...DEFAULT_MODELS, ...options.models };
  const faults: ComfyFaults = { ...options.faults };
  const tooOld = options.tooOld ?? false;
  const calls: RecordedCall[] = [];
  const prompts: ComfyDouble['prompts'] = [];
  const interrupts: ComfyDouble['interrupts'] = [];
  const executions: ComfyDouble['executions'] = [];
  const uploads = new Map<string, Uint8Array>();
  const outputs = new Map<string, Uint8Array>();
  const history = new Map<string, unknown>();
  const sockets = new Map<string, { ws: WebSocket; previewMetadata: boolean }>();
  const openSockets = new Set<Socket>();
  const queue: QueueItem[] = [];
  let running: QueueItem | undefined;
  /** server.py's last_node_id: the node running now, re-announced to a client that reconnects. */
  let lastNodeId: string | undefined;
  let interruptRequested = false;
  let counter = 0;
  let saveCounter = 0;
  let refuseSocketsUntil = 0;
  let idleWaiters: Array<() => void> = [];

  const infos = () => objectInfo(models, [...uploads.keys()]);
  const queueInfo = () => ({ exec_info: { queue_remaining: queue.length + (running ? 1 : 0) } });

  const sendJson = (type: string, data: unknown, sid?: string): void => {
    const message = JSON.stringify({ type, data });
    const targets = sid === undefined ? [...sockets.values()] : [sockets.get(sid)].filter((s) => s !== undefined);
    for (const t of targets) if (t.ws.readyState === t.ws.OPEN) t.ws.send(message);
  };
  const sendPreview = async (image: Img, sid: string | undefined, meta: Record<string, unknown>): Promise<void> => {
    const target = sid === undefined ? undefined : sockets.get(sid);
    if (!target || target.ws.readyState !== target.ws.OPEN) return;
    const jpeg = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
    const header = Buffer.alloc(8);
    if (target.previewMetadata) {
      // PREVIEW_IMAGE_WITH_METADATA: event 4, u32 metadata length, JSON, image bytes.
      const json = Buffer.from(JSON.stringify({ ...meta, image_type: 'image/jpeg' }));
      header.writeUInt32BE(4, 0);
      header.writeUInt32BE(json.length, 4);
      target.ws.send(Buffer.concat([header, json, jpeg]));
    } else {
      // PREVIEW_IMAGE: event 1, image type 1 (JPEG), image bytes.
      header.writeUInt32BE(1, 0);
      header.writeUInt32BE(1, 4);
      target.ws.send(Buffer.concat([header, jpeg]));
    }
  };

  async function runItem(item: QueueItem): Promise<void> {
    const sid = item.extraData.client_id;
    const messages: Array<[string, unknown]> = [];
    const addMessage = (event: string, data: Record<string, unknown>, broadcast = false): void => {
      const stamped = { ...data, timestamp: Date.now() };
      messages.push([event, stamped]);
      if (sid !== undefined || broadcast) sendJson(event, stamped, sid);
    };
    const start = performance.now();
    interruptRequested = false;
    addMessage('execution_start', { prompt_id: item.promptId });
    addMessage('execution_cached', { nodes: [], prompt_id: item.promptId });
    let droppedThisJob = false;
    let current = '';
    let status: { status_str: 'success' | 'error'; completed: boolean };
    let ui: Record<string, { images: unknown[] }> = {};
    let executed: string[] = [];
    try {
      ({ ui, executed } = await executePrompt(item.prompt, item.outputs, {
        executing: (nodeId) => {
          current = nodeId;
          lastNodeId = nodeId;
          sendJson('executing', { node: nodeId, display_node: nodeId, prompt_id: item.promptId }, sid);
        },
        step: async (nodeId, value, max, preview) => {
          if (faults.stepDelayMs) await new Promise((r) => setTimeout(r, faults.stepDelayMs));
          if (interruptRequested) throw new Interrupted();
          if (faults.dropSocketAtStep === value && !droppedThisJob && sid !== undefined) {
            droppedThisJob = true;
            sockets.get(sid)?.ws.terminate();
            sockets.delete(sid);
            refuseSocketsUntil = Date.now() + (faults.refuseSocketMs ?? 0);
          }
          sendJson('progress', { value, max, prompt_id: item.promptId, node: nodeId }, sid);
          await sendPreview(preview, sid, { node_id: nodeId, prompt_id: item.promptId, display_node_id: nodeId, parent_node_id: null, real_node_id: nodeId });
        },
        checkInterrupt: () => {
          if (interruptRequested) throw new Interrupted();
        },
        readInput: (name) => uploads.get(name),
        saveOutput: (prefix, png) => {
          saveCounter += 1;
          const subfolder = path.posix.dirname(prefix) === '.' ? '' : path.posix.dirname(prefix);
          const filename = `${path.posix.basename(prefix)}_${String(saveCounter).padStart(5, '0')}_.png`;
          outputs.set(path.posix.join(subfolder, filename), png);
          return faults.unsafeFilename ? { filename: '../../../etc/passwd', subfolder: '', type: 'output' } : { filename, subfolder, type: 'output' };
        },
        failClass: faults.failClass,
        upscaleModels: models.upscaleModels,
        resultImage: faults.resultImage ? (png, image) => faultyImage(faults.resultImage!, png, image) : undefined,
      }));
      for (const [nodeId, output] of Object.entries(ui)) {
        if (!faults.silentResults) sendJson('executed', { node: nodeId, display_node: nodeId, output, prompt_id: item.promptId }, sid);
      }
      if (!faults.silentResults) addMessage('execution_success', { prompt_id: item.promptId });
      status = { status_str: 'success', completed: true };
    } catch (error) {
      const node = item.prompt[current];
      const base = { prompt_id: item.promptId, node_id: current, node_type: String(node?.class_type), executed };
      if (error instanceof Interrupted) {
        addMessage('execution_interrupted', base, true);
      } else {
        const failure = error instanceof NodeFailure ? error : new NodeFailure('Exception', (error as Error).message);
        addMessage('execution_error', { ...base, exception_message: failure.message, exception_type: failure.exceptionType, traceback: ['  File "execution.py", line 496, in execute\n'], current_inputs: {}, current_outputs: [] });
      }
      status = { status_str: 'error', completed: false };
    }
    executions.push({ promptId: item.promptId, ms: performance.now() - start });
    history.set(item.promptId, {
      prompt: [item.number, item.promptId, item.prompt, item.extraData, item.outputs],
      outputs: ui,
      status: { ...status, messages },
      meta: Object.fromEntries(Object.keys(ui).map((id) => [id, { node_id: id, display_node: id, parent_node: null, real_node_id: id }])),
    });
    if (sid !== undefined && !faults.silentResults) sendJson('executing', { node: null, prompt_id: item.promptId }, sid);
  }

  async function pump(): Promise<void> {
    if (running) return;
    queue.sort((a, b) => a.number - b.number);
    const next = queue.shift();
    if (!next) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    running = next;
    sendJson('status', { status: queueInfo() });
    await runItem(next);
    running = undefined;
    lastNodeId = undefined;
    sendJson('status', { status: queueInfo() });
    void pump();
  }

  function reply(res: ServerResponse, status: number, body: string | Uint8Array, contentType = 'application/json; charset=utf-8', headers: Record<string, string> = {}): void {
    const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
    res.writeHead(status, { 'Content-Type': contentType, ...(faults.noContentLength ? {} : { 'Content-Length': String(bytes.length) }), ...headers });
    if (!faults.trickleMs) {
      res.end(bytes);
      return;
    }
    let i = 0;
    const tick = setInterval(() => {
      if (res.destroyed || i >= bytes.length) {
        clearInterval(tick);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(bytes.subarray(i, i + 1));
      i += 1;
    }, faults.trickleMs);
  }
  const json = (res: ServerResponse, status: number, value: unknown): void => reply(res, status, JSON.stringify(value));

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  function authorized(req: IncomingMessage): boolean {
    return !faults.token || req.headers.authorization === `Bearer ${faults.token}`;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    const contentType = req.headers['content-type'] ?? '';
    const parsed = body && contentType.startsWith('application/json') ? safeJson(body) : undefined;
    calls.push({ method: req.method ?? '', path: url.pathname + url.search, authorization: req.headers.authorization, body: parsed });
    if (faults.notComfyUI) return reply(res, 200, NOT_COMFY_PAGE, 'text/html');
    if (faults.neverAnswer === true || (typeof faults.neverAnswer === 'string' && url.pathname.startsWith(faults.neverAnswer))) return;
    if (faults.status && url.pathname === faults.status.path) return reply(res, faults.status.code, faults.status.body ?? '500 Internal Server Error\n\nServer got itself in trouble', 'text/plain; charset=utf-8');
    if (!authorized(req)) return json(res, 401, { error: 'Unauthorized' });
    if (faults.redirectTo && req.method === 'GET' && url.pathname.startsWith('/api/')) {
      return reply(res, 302, '', 'text/plain', { Location: `${faults.redirectTo}${url.pathname}${url.search}` });
    }
    let p = url.pathname;
    if (p.startsWith('/api/')) {
      if (tooOld) return reply(res, 404, '404: Not Found', 'text/plain; charset=utf-8');
      p = p.slice(4);
    }
    const key = `${req.method} ${p}`;
    if (key === 'GET /system_stats') {
      return json(res, 200, {
        system: { os: 'posix', ram_total: 67_108_864_000, ram_free: 52_000_000_000, ...(tooOld ? {} : { comfyui_version: '0.3.64', required_frontend_version: '1.27.10' }), python_version: '3.12.3 (main)', pytorch_version: '2.8.0+cu128', embedded_python: false, argv: ['main.py', '--listen'] },
        devices: [{ name: 'cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync', type: 'cuda', index: 0, vram_total: 25_756_696_576, vram_free: 24_110_956_544, torch_vram_total: 0, torch_vram_free: 0 }],
      });
    }
    if (key === 'GET /object_info') return json(res, 200, infos());
    if (req.method === 'GET' && p.startsWith('/object_info/')) {
      const name = decodeURIComponent(p.slice('/object_info/'.length));
      const info = infos()[name];
      return json(res, 200, info ? { [name]: info } : {});
    }
    if (key === 'GET /queue') {
      const row = (q: QueueItem) => [q.number, q.promptId, q.prompt, q.extraData, q.outputs];
      return json(res, 200, { queue_running: running ? [row(running)] : [], queue_pending: queue.map(row) });
    }
    if (key === 'GET /prompt') return json(res, 200, queueInfo());
    if (req.method === 'GET' && p.startsWith('/history/')) {
      const id = decodeURIComponent(p.slice('/history/'.length));
      return json(res, 200, history.has(id) ? { [id]: history.get(id) } : {});
    }
    if (key === 'POST /prompt') return postPrompt(res, parsed);
    if (key === 'POST /interrupt') {
      const promptId = (parsed as { prompt_id?: unknown } | undefined)?.prompt_id;
      interrupts.push({ promptId: typeof promptId === 'string' ? promptId : undefined });
      // Before 0.3.56 (and on old servers) the body is ignored: a global interrupt.
      if (tooOld || typeof promptId !== 'string' || running?.promptId === promptId) interruptRequested = running !== undefined;
      return reply(res, 200, '', 'text/plain');
    }
    if (key === 'POST /queue') {
      if ((parsed as { clear?: unknown } | undefined)?.clear === true) queue.length = 0;
      const toDelete = (parsed as { delete?: unknown } | undefined)?.delete;
      if (Array.isArray(toDelete)) for (const id of toDelete) queue.splice(0, queue.length, ...queue.filter((q) => q.promptId !== id));
      return reply(res, 200, '', 'text/plain');
    }
    if (key === 'POST /upload/image') {
      const stored = storeUpload(uploads, parseMultipart(body ?? Buffer.alloc(0), contentType));
      return 'name' in stored ? json(res, 200, stored) : reply(res, stored.status, '', 'text/plain');
    }
    if (key === 'GET /view') {
      const found = viewFile(uploads, outputs, url.searchParams);
      return 'bytes' in found ? reply(res, 200, found.bytes, 'image/png', { 'Content-Disposition': `filename="${found.name}"` }) : reply(res, found.status, '', 'text/plain');
    }
    return reply(res, 404, '404: Not Found', 'text/plain; charset=utf-8');
  }

  function postPrompt(res: ServerResponse, data: unknown): void {
    const body = (data ?? {}) as { prompt?: Prompt; prompt_id?: unknown; client_id?: string; number?: number };
    const number = typeof body.number === 'number' ? body.number : counter++;
    if (!body.prompt) return json(res, 400, { error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }, node_errors: {} });
    const promptId = !tooOld && !faults.ignorePromptId && body.prompt_id !== undefined ? String(body.prompt_id) : randomUUID();
    const valid = validatePrompt(body.prompt, infos(), {
      LoadImage: { inputs: ['image'], check: (i) => (uploads.has(String(i.image)) ? true : `Invalid image file: ${String(i.image)}`) },
      LoadImageMask: { inputs: ['image'], check: (i) => (uploads.has(String(i.image)) ? true : `Invalid image file: ${String(i.image)}`) },
    });
    if (!valid.ok) return json(res, 400, { error: valid.error, node_errors: valid.nodeErrors });
    const extraData = body.client_id !== undefined ? { client_id: body.client_id } : {};
    queue.push({ number, promptId, prompt: body.prompt, extraData, outputs: valid.outputs });
    prompts.push({ promptId, prompt: body.prompt, clientId: body.client_id });
    sendJson('status', { status: queueInfo() });
    json(res, 200, { prompt_id: promptId, number, node_errors: valid.nodeErrors });
    void pump();
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent) reply(res, 500, String(error), 'text/plain');
    });
  });
  server.on('connection', (socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://double');
    calls.push({ method: 'WS', path: url.pathname + url.search, authorization: req.headers.authorization });
    const wsPath = url.pathname === '/ws' || (!tooOld && url.pathname === '/api/ws');
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (faults.notComfyUI || !wsPath) return refuse('404 Not Found');
    if (!authorized(req)) return refuse('401 Unauthorized');
    if (Date.now() < refuseSocketsUntil) return refuse('503 Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const sid = url.searchParams.get('clientId') || randomUUID().replace(/-/g, '');
      sockets.get(sid)?.ws.terminate();
      const entry = { ws, previewMetadata: false };
      sockets.set(sid, entry);
      let first = true;
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const message = safeJson(Buffer.from(data as Buffer)) as { type?: string; data?: { supports_preview_metadata?: boolean } } | undefined;
        if (first && message?.type === 'feature_flags' && !tooOld && !faults.legacyPreviews) {
          entry.previewMetadata = message.data?.supports_preview_metadata === true;
          sendJson('feature_flags', { supports_preview_metadata: true, max_upload_size: 104_857_600 }, sid);
        }
        first = false;
      });
      ws.on('close', () => {
        if (sockets.get(sid) === entry) sockets.delete(sid);
      });
      sendJson('status', { status: queueInfo(), sid }, sid);
      // server.py: "On reconnect if we are the currently executing client send the current node" (no prompt id).
      if (running?.extraData.client_id === sid && lastNodeId !== undefined) sendJson('executing', { node: lastNodeId }, sid);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    faults,
    calls,
    prompts,
    interrupts,
    uploads,
    executions,
    idle: () => (running || queue.length > 0 ? new Promise<void>((resolve) => idleWaiters.push(resolve)) : Promise.resolve()),
    close: async () => {
      interruptRequested = true;
      queue.length = 0;
      for (const { ws } of sockets.values()) ws.terminate();
      wss.close();
      for (const socket of openSockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function safeJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
