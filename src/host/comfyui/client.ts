/**
 * One connection to a ComfyUI server: discovery at connect, then jobs. A job opens (or reuses) the
 * websocket before submitting, so no message is missed; submits its graph with its own prompt id (and
 * follows the server's id when an older server ignores it); reports progress and previews; collects
 * the result from `executed` + `/view`, or from `/history/<id>` when the websocket dropped (reconnecting
 * with backoff meanwhile). Cancel = queue deletion + `POST /interrupt` with the prompt id, settled
 * within a second. A watchdog asks the server about a silent job, so a lost job cannot hang.
 */
import { randomUUID } from 'node:crypto';
import { PipelineError } from '../../shared/errors';
import type { BuiltGraph } from './buildGraph';
import { promptRejected } from './comfyErrors';
import { makeConnection, serverLabel, type ComfyConnection, type ComfyTimeouts } from './connection';
import { currentDevices, discover, type ComfyDevice, type ComfyServerInfo } from './discovery';
import { comfyRequest, parseJson, statusError } from './http';
import { decodePreview, type SizeRule } from './imageEdge';
import { JobTracker, type ComfyProgress, type TrackerEvent } from './jobTracker';
import type { ComfyMessage, PreviewFrame, UncheckedImageRef } from './messages';
import { ComfySocket } from './socket';
import { checkImageRef, fetchResult, uploadImage } from './transfer';
import type { RawImage } from './workflowInput';

export interface ComfyClientOptions {
  readonly token?: string;
  readonly timeouts?: Partial<ComfyTimeouts>;
  readonly signal?: AbortSignal;
  readonly log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ComfyProgress) => void;
  /** A live preview (RGB u8), as the local pipeline's `preview` event. */
  readonly onPreview?: (preview: { readonly step: number; readonly width: number; readonly height: number; readonly rgb: Uint8Array }) => void;
}

export interface RunResult {
  readonly images: readonly RawImage[];
  /** The id the server ran the prompt under. */
  readonly promptId: string;
  readonly timings: { readonly submitMs: number; readonly waitMs: number; readonly downloadMs: number; readonly decodeMs: number };
}

interface ActiveJob {
  readonly tracker: JobTracker;
  /** False until POST /prompt answered: until then only our own id is known. */
  idKnown: boolean;
  lastHeard: number;
  /** Watchdog checks in a row that could not reach the server. */
  unanswered: number;
  step: number;
  previewBusy: boolean;
  nextPreview?: PreviewFrame;
  readonly options: RunOptions;
  readonly settle: (event: TrackerEvent | { kind: 'error'; error: PipelineError }) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Messages held for a job whose server-side id is not known yet (old servers answer with their own). */
const MAX_UNCLAIMED = 1000;

export class ComfyClient {
  private socket?: ComfySocket;
  private opening?: Promise<ComfySocket>;
  private reconnecting?: Promise<void>;
  private readonly clientId = randomUUID().replace(/-/g, '');
  private readonly jobs = new Set<ActiveJob>();
  private unclaimed: ComfyMessage[] = [];

  private constructor(
    readonly conn: ComfyConnection,
    readonly info: ComfyServerInfo,
    private readonly log: NonNullable<ComfyClientOptions['log']>,
  ) {}

  /** Checks the server (ComfyUI, recent enough, core nodes present) and reads what it offers. */
  static async connect(url: string, options: ComfyClientOptions = {}): Promise<ComfyClient> {
    const conn = makeConnection(url, options.token, options.timeouts);
    const info = await discover(conn, options.signal);
    return new ComfyClient(conn, info, options.log ?? (() => undefined));
  }

  /** "ComfyUI at host:port" */
  get label(): string {
    return serverLabel(this.conn.base);
  }

  /** The server's devices with their free VRAM now (discovery's `info.devices` is from the connect). */
  devices(signal?: AbortSignal): Promise<ComfyDevice[]> {
    return currentDevices(this.conn, signal);
  }

  upload(image: RawImage, signal?: AbortSignal): Promise<string> {
    return uploadImage(this.conn, image, signal);
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
    for (const job of this.jobs) job.settle({ kind: 'error', error: new PipelineError('CANCELLED', `the connection to ${this.label} was closed`) });
  }

  /** Runs a graph; resolves with the decoded images of its output node, each checked against `rule`. */
  async run(built: BuiltGraph, rule: SizeRule, options: RunOptions = {}): Promise<RunResult> {
    if (options.signal?.aborted) throw new PipelineError('CANCELLED', 'cancelled before the job was sent');
    await this.ensureSocket();
    const size = 'exactly' in rule ? rule.exactly : undefined;
    const tracker = new JobTracker(randomUUID(), built.graph, built.outputNode, this.label, size);
    let resolveDone!: (images: readonly UncheckedImageRef[]) => void;
    let rejectDone!: (error: PipelineError) => void;
    const done = new Promise<readonly UncheckedImageRef[]>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    const job: ActiveJob = {
      tracker,
      idKnown: false,
      lastHeard: Date.now(),
      unanswered: 0,
      step: 0,
      previewBusy: false,
      options,
      settle: (event) => {
        if (event.kind === 'progress') return;
        this.jobs.delete(job);
        if (event.kind === 'finished') resolveDone(event.images);
        else if (event.kind === 'interrupted') rejectDone(new PipelineError('CANCELLED', `the job was interrupted on ${this.label} (from its queue or another client)`));
        else rejectDone(event.error);
      },
    };
    this.jobs.add(job);
    const started = performance.now();
    let submitted = started;
    const submitting = this.submit(built, tracker.promptId, options.signal).then((id) => {
      submitted = performance.now();
      this.claim(job, id);
    });
    submitting.catch((error: PipelineError) => job.settle({ kind: 'error', error }));
    const onAbort = (): void => void this.cancel(job, submitting);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const watchdog = setInterval(() => void this.checkAlive(job), this.conn.timeouts.idleMs);
    try {
      const refs = await done;
      const finished = performance.now();
      if (refs.length === 0) throw new PipelineError('BACKEND_INCOMPATIBLE', `${this.label} finished the job but reported no image from SaveImage (node ${built.outputNode})`);
      options.onProgress?.({ phase: 'downloading', step: 0, totalSteps: refs.length });
      const images: RawImage[] = [];
      let downloadMs = 0;
      let decodeMs = 0;
      for (const ref of refs) {
        const fetched = await fetchResult(this.conn, checkImageRef(this.conn, ref), rule, options.signal);
        images.push(fetched.image);
        downloadMs += fetched.downloadMs;
        decodeMs += fetched.decodeMs;
      }
      return { images, promptId: tracker.promptId, timings: { submitMs: submitted - started, waitMs: finished - submitted, downloadMs, decodeMs } };
    } finally {
      clearInterval(watchdog);
      options.signal?.removeEventListener('abort', onAbort);
      this.jobs.delete(job);
    }
  }

  private async submit(built: BuiltGraph, promptId: string, signal: AbortSignal | undefined): Promise<string> {
    const what = 'POST /api/prompt';
    const result = await comfyRequest(this.conn, 'api/prompt', { method: 'POST', json: { prompt: built.graph, client_id: this.clientId, prompt_id: promptId }, maxBytes: 4 * 1024 * 1024, signal, what });
    if (result.status === 400) throw promptRejected(parseJson(this.conn, result, what), built.graph, this.label);
    if (result.status !== 200) throw statusError(this.conn, result, what);
    const id = (parseJson(this.conn, result, what) as { prompt_id?: unknown }).prompt_id;
    if (typeof id !== 'string' || !/^[\w.:-]{1,128}$/.test(id)) throw new PipelineError('BACKEND_INCOMPATIBLE', `${this.label} accepted the job without a usable prompt id`);
    if (id !== promptId) this.log('info', `${this.label} ignored Atelier's prompt id and ran the job as ${id} (ComfyUI before 0.3.44)`);
    return id;
  }

  /** The server's id is known: replay what arrived for it meanwhile. */
  private claim(job: ActiveJob, id: string): void {
    job.tracker.promptId = id;
    job.idKnown = true;
    const mine = this.unclaimed.filter((m) => 'promptId' in m && m.promptId === id);
    this.unclaimed = this.unclaimed.filter((m) => !mine.includes(m));
    for (const m of mine) this.dispatch(job, job.tracker.handle(m));
  }

  private dispatch(job: ActiveJob, events: readonly TrackerEvent[]): void {
    for (const event of events) {
      if (event.kind === 'progress') {
        if (event.progress.phase === 'denoising') job.step = event.progress.step;
        job.options.onProgress?.(event.progress);
      } else job.settle(event);
    }
  }

  private onMessage(message: ComfyMessage): void {
    const promptId = 'promptId' in message ? message.promptId : undefined;
    let claimed = promptId === undefined;
    for (const job of this.jobs) {
      const sameId = promptId === job.tracker.promptId;
      if (sameId) {
        claimed = true;
        job.lastHeard = Date.now();
      }
      if (sameId || (promptId === undefined && job.idKnown)) this.dispatch(job, job.tracker.handle(message));
    }
    if (!claimed && this.unclaimed.length < MAX_UNCLAIMED && [...this.jobs].some((j) => !j.idKnown)) this.unclaimed.push(message);
  }

  /** Previews: by prompt id when the frame has one, else to the job the server is running. */
  private onPreview(frame: PreviewFrame): void {
    const job = [...this.jobs].find((j) => (frame.promptId ? j.tracker.promptId === frame.promptId : j.tracker.state === 'running'));
    if (!job?.options.onPreview) return;
    job.nextPreview = frame;
    if (!job.previewBusy) void this.drainPreviews(job);
  }

  /** Decodes only the newest frame: a slow decode drops stale previews instead of queueing them. */
  private async drainPreviews(job: ActiveJob): Promise<void> {
    job.previewBusy = true;
    while (job.nextPreview) {
      const frame = job.nextPreview;
      job.nextPreview = undefined;
      const decoded = await decodePreview(frame.bytes);
      if (decoded && this.jobs.has(job)) job.options.onPreview?.({ step: job.step, ...decoded });
    }
    job.previewBusy = false;
  }

  private ensureSocket(): Promise<ComfySocket> {
    if (this.socket?.isOpen) return Promise.resolve(this.socket);
    this.opening ??= ComfySocket.open(this.conn, this.clientId, {
      onMessage: (m) => this.onMessage(m),
      onPreview: (f) => this.onPreview(f),
      onClose: (reason) => {
        this.socket = undefined;
        if (this.jobs.size > 0) void this.reconnect(reason);
      },
    })
      .then((socket) => {
        this.socket = socket;
        return socket;
      })
      .finally(() => {
        this.opening = undefined;
      });
    return this.opening;
  }

  /** After a drop: reconnect with backoff, asking /history meanwhile; give up after reconnectMs. */
  private reconnect(reason: string): Promise<void> {
    this.log('warn', `${this.label}: websocket ${reason}; reconnecting`);
    this.reconnecting ??= (async () => {
      const until = Date.now() + this.conn.timeouts.reconnectMs;
      let delay = 250;
      while (this.jobs.size > 0) {
        await this.pollHistory();
        if (this.jobs.size === 0) return;
        try {
          await this.ensureSocket();
          await this.pollHistory(); // it may have finished while we were away
          return;
        } catch (error) {
          this.log('debug', `reconnect failed: ${(error as Error).message}`);
        }
        if (Date.now() + delay > until) {
          for (const job of [...this.jobs]) {
            job.settle({ kind: 'error', error: new PipelineError('BACKEND_UNREACHABLE', `${this.label} closed the websocket during the job (${reason}) and could not be reached again within ${Math.round(this.conn.timeouts.reconnectMs / 1000)} s; the job may still finish on the server (prompt ${job.tracker.promptId})`) });
          }
          return;
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 5000);
      }
    })().finally(() => {
      this.reconnecting = undefined;
    });
    return this.reconnecting;
  }

  private async pollHistory(): Promise<void> {
    for (const job of [...this.jobs]) {
      if (!job.idKnown) continue;
      try {
        this.dispatch(job, job.tracker.handleHistory(await this.historyOf(job.tracker.promptId)));
      } catch (error) {
        this.log('debug', `history of ${job.tracker.promptId}: ${(error as Error).message}`);
      }
    }
  }

  private async historyOf(promptId: string): Promise<unknown> {
    const what = `GET /api/history/${promptId}`;
    const result = await comfyRequest(this.conn, `api/history/${encodeURIComponent(promptId)}`, { maxBytes: 16 * 1024 * 1024, what });
    if (result.status !== 200) throw statusError(this.conn, result, what);
    const body = parseJson(this.conn, result, what);
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[promptId] : undefined;
  }

  /** A job silent for idleMs: finished (history), still queued or running (queue), or lost. */
  private async checkAlive(job: ActiveJob): Promise<void> {
    if (!job.idKnown || this.reconnecting || Date.now() - job.lastHeard < this.conn.timeouts.idleMs) return;
    try {
      this.dispatch(job, job.tracker.handleHistory(await this.historyOf(job.tracker.promptId)));
      if (!this.jobs.has(job)) return;
      const result = await comfyRequest(this.conn, 'api/queue', { maxBytes: 64 * 1024 * 1024, what: 'GET /api/queue' });
      if (result.status !== 200) throw statusError(this.conn, result, 'GET /api/queue');
      const queue = parseJson(this.conn, result, 'GET /api/queue') as { queue_running?: unknown; queue_pending?: unknown };
      const ids = [queue.queue_running, queue.queue_pending].flatMap((q) => (Array.isArray(q) ? q : [])).map((item) => (Array.isArray(item) ? item[1] : undefined));
      if (ids.includes(job.tracker.promptId)) {
        job.lastHeard = Date.now();
        job.unanswered = 0;
        return;
      }
      // Neither queued, running nor in the history (which is written before the last message).
      this.dispatch(job, job.tracker.handleHistory(await this.historyOf(job.tracker.promptId)));
      if (this.jobs.has(job)) job.settle({ kind: 'error', error: new PipelineError('BACKEND_INCOMPATIBLE', `${this.label} no longer knows the job (prompt ${job.tracker.promptId}): it is neither queued, running nor in the history (was the server restarted or the queue cleared?)`) });
      job.unanswered = 0;
    } catch (error) {
      // One failed check may be a blip; two in a row (an idle period apart) mean the server is gone.
      job.unanswered += 1;
      if (job.unanswered >= 2) job.settle({ kind: 'error', error: error instanceof PipelineError ? error : new PipelineError('BACKEND_UNREACHABLE', `${this.label} did not answer about a silent job: ${(error as Error).message}`) });
    }
  }

  /**
   * Cancels within a second: deletes the prompt from the queue and, if it is running, interrupts it by
   * id (servers before 0.3.56 interrupt whatever runs, so that is sent only while ours is the one running).
   */
  private async cancel(job: ActiveJob, submitting: Promise<void>): Promise<void> {
    const onServer = (async () => {
      await submitting.catch(() => undefined);
      if (!job.idKnown) return;
      const id = job.tracker.promptId;
      const calls = [comfyRequest(this.conn, 'api/queue', { method: 'POST', json: { delete: [id] }, maxBytes: 64 * 1024, what: 'POST /api/queue' })];
      if (job.tracker.state === 'running') calls.push(comfyRequest(this.conn, 'api/interrupt', { method: 'POST', json: { prompt_id: id }, maxBytes: 64 * 1024, what: 'POST /api/interrupt' }));
      const results = await Promise.allSettled(calls);
      for (const r of results) if (r.status === 'rejected') this.log('warn', `cancel on ${this.label}: ${(r.reason as Error).message}`);
    })();
    await Promise.race([onServer, sleep(1000)]);
    job.settle({ kind: 'error', error: new PipelineError('CANCELLED', 'Generation cancelled') });
  }
}
