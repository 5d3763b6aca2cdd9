/**
 * One generic request/response + event RPC, used for every link (host↔pipeline worker, and later
 * host↔webview). Pending requests are always settled: by a response, an error reply, a timeout,
 * cancellation, or `rejectAll` when the peer goes away. Settled entries are deleted, so nothing leaks.
 */
import { PipelineError, toErrorInfo } from './errors';
import type { FromPeerMessage, ToPeerMessage } from './protocol/pipeline';

export interface MethodShape {
  readonly params: unknown;
  readonly result: unknown;
}
export type MethodMap<M> = { [K in keyof M]: MethodShape };

/** `{ event: 'progress', payload: … } | { event: 'preview', payload: … }` for an event map. */
export type EventOf<E> = { [K in keyof E & string]: { readonly event: K; readonly payload: E[K] } }[keyof E & string];

export interface RequestOptions<E> {
  /** Reject with TIMEOUT when no response arrives in this many ms (events do not extend it). */
  readonly timeoutMs?: number;
  /** Aborting sends `cancel` to the peer; the request then settles with the peer's CANCELLED reply. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: EventOf<E>) => void;
}

interface Pending<E> {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: PipelineError) => void;
  readonly onEvent?: (event: EventOf<E>) => void;
  readonly cleanup: () => void;
}

export class RpcClient<M extends MethodMap<M>, E> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending<E>>();

  constructor(private readonly send: (message: ToPeerMessage<M>) => void) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  request<K extends keyof M & string>(
    method: K,
    params: M[K]['params'],
    options: RequestOptions<E> = {},
  ): Promise<M[K]['result']> {
    const id = this.nextId++;
    return new Promise<M[K]['result']>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new PipelineError('CANCELLED', `${method} was cancelled before it started`));
        return;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => {
        // The peer answers with CANCELLED once it reaches a checkpoint; if it is gone, rejectAll settles us.
        this.trySend({ type: 'cancel', id });
      };
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      this.pending.set(id, {
        resolve: (value) => resolve(value as M[K]['result']),
        reject,
        onEvent: options.onEvent,
        cleanup,
      });
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.settle(id, new PipelineError('TIMEOUT', `${method} got no answer within ${options.timeoutMs} ms`));
          this.trySend({ type: 'cancel', id });
        }, options.timeoutMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.send({ type: 'request', id, method, params });
      } catch (error) {
        this.settle(id, new PipelineError('WORKER_CRASHED', `could not send ${method}: ${toErrorInfo(error).message}`));
      }
    });
  }

  /** Feed every message from the peer here. Returns false for messages that are not RPC traffic. */
  handleMessage(message: FromPeerMessage<E>): boolean {
    switch (message.type) {
      case 'response': {
        const entry = this.pending.get(message.id);
        if (!entry) return true; // stale: already timed out or cancelled
        entry.cleanup();
        entry.resolve(message.result);
        return true;
      }
      case 'error':
        this.settle(message.id, PipelineError.fromInfo(message.error));
        return true;
      case 'event': {
        const entry = this.pending.get(message.id);
        entry?.onEvent?.({ event: message.event, payload: message.payload } as EventOf<E>);
        return true;
      }
      default:
        return false;
    }
  }

  /** The peer is gone: settle everything that is still waiting. */
  rejectAll(error: PipelineError): void {
    for (const id of [...this.pending.keys()]) this.settle(id, error);
  }

  private settle(id: number, error: PipelineError): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    entry.cleanup();
    entry.reject(error);
  }

  private trySend(message: ToPeerMessage<M>): void {
    try {
      this.send(message);
    } catch {
      // Peer already gone; rejectAll will settle the request.
    }
  }
}

export interface RequestContext<E> {
  readonly id: number;
  /** Aborted when the client sends `cancel` for this request. */
  readonly signal: AbortSignal;
  emit<K extends keyof E & string>(event: K, payload: E[K]): void;
}

export type Handlers<M extends MethodMap<M>, E> = {
  [K in keyof M]: (params: M[K]['params'], context: RequestContext<E>) => Promise<M[K]['result']>;
};

export class RpcServer<M extends MethodMap<M>, E> {
  private readonly running = new Map<number, AbortController>();

  constructor(
    private readonly send: (message: FromPeerMessage<E>) => void,
    private readonly handlers: Handlers<M, E>,
  ) {}

  get runningCount(): number {
    return this.running.size;
  }

  handleMessage(message: ToPeerMessage<M>): void {
    if (message.type === 'cancel') {
      this.running.get(message.id)?.abort();
      return;
    }
    const { id, method, params } = message;
    const handler = Object.prototype.hasOwnProperty.call(this.handlers, method)
      ? (this.handlers[method as keyof M] as (p: unknown, c: RequestContext<E>) => Promise<unknown>)
      : undefined;
    if (!handler) {
      this.send({ type: 'error', id, error: { code: 'INTERNAL', message: `unknown method "${String(method)}"` } });
      return;
    }
    const controller = new AbortController();
    this.running.set(id, controller);
    const context: RequestContext<E> = {
      id,
      signal: controller.signal,
      emit: (event, payload) => this.send({ type: 'event', id, event, payload }),
    };
    handler(params, context)
      .then((result) => this.send({ type: 'response', id, result }))
      .catch((error: unknown) => this.send({ type: 'error', id, error: toErrorInfo(error) }))
      .finally(() => this.running.delete(id));
  }
}
