import { describe, expect, it, vi } from 'vitest';
import { PipelineError } from '../../src/shared/errors';
import type { FromPeerMessage, ToPeerMessage } from '../../src/shared/protocol/pipeline';
import { RpcClient, RpcServer } from '../../src/shared/rpc';

interface Methods {
  echo: { params: { text: string }; result: { text: string } };
  slow: { params: { ms: number }; result: string };
  fail: { params: Record<string, never>; result: never };
}
interface Events {
  tick: { n: number };
}

/** Client and server wired back to back, through structuredClone like 'advanced' serialization. */
function link(): { client: RpcClient<Methods, Events>; server: RpcServer<Methods, Events>; sent: ToPeerMessage<Methods>[] } {
  const sent: ToPeerMessage<Methods>[] = [];
  let client: RpcClient<Methods, Events> | undefined;
  const server = new RpcServer<Methods, Events>((m: FromPeerMessage<Events>) => queueMicrotask(() => client?.handleMessage(structuredClone(m))), {
    echo: async ({ text }, ctx) => {
      ctx.emit('tick', { n: 1 });
      return { text };
    },
    slow: ({ ms }, ctx) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => resolve('done'), ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(new PipelineError('CANCELLED', 'stopped'));
        });
      }),
    fail: async () => {
      throw new PipelineError('MODEL_INVALID', 'bad model', { argument: 'modelDir' });
    },
  });
  client = new RpcClient<Methods, Events>((m) => {
    sent.push(m);
    queueMicrotask(() => server.handleMessage(structuredClone(m)));
  });
  return { client, server, sent };
}

describe('RPC', () => {
  it('correlates responses and routes events to their request', async () => {
    const { client } = link();
    const events: unknown[] = [];
    const [a, b] = await Promise.all([client.request('echo', { text: 'a' }, { onEvent: (e) => events.push(e) }), client.request('echo', { text: 'b' })]);
    expect([a.text, b.text]).toEqual(['a', 'b']);
    expect(events).toEqual([{ event: 'tick', payload: { n: 1 } }]);
    expect(client.pendingCount).toBe(0);
  });

  it('typed errors cross the link with their code and argument', async () => {
    const { client } = link();
    await expect(client.request('fail', {})).rejects.toMatchObject({ code: 'MODEL_INVALID', argument: 'modelDir', message: 'bad model' });
    expect(client.pendingCount).toBe(0);
  });

  it('abort sends cancel; the handler sees its signal and the request settles', async () => {
    const { client, server, sent } = link();
    const abort = new AbortController();
    const job = client.request('slow', { ms: 10_000 }, { signal: abort.signal });
    await new Promise((r) => setTimeout(r, 5));
    expect(server.runningCount).toBe(1);
    abort.abort();
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(sent.map((m) => m.type)).toEqual(['request', 'cancel']);
    expect(client.pendingCount).toBe(0);
    expect(server.runningCount).toBe(0);
  });

  it('times out, deletes the pending entry and ignores the late answer', async () => {
    vi.useFakeTimers();
    try {
      const sent: unknown[] = [];
      const client = new RpcClient<Methods, Events>((m) => sent.push(m));
      const job = client.request('echo', { text: 'x' }, { timeoutMs: 1000 });
      vi.advanceTimersByTime(1001);
      await expect(job).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(client.pendingCount).toBe(0);
      expect(client.handleMessage({ type: 'response', id: 1, result: { text: 'late' } })).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejectAll settles everything when the peer exits', async () => {
    const client = new RpcClient<Methods, Events>(() => undefined);
    const jobs = [client.request('echo', { text: '1' }), client.request('slow', { ms: 1 })];
    client.rejectAll(new PipelineError('WORKER_CRASHED', 'gone'));
    for (const job of jobs) await expect(job).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(client.pendingCount).toBe(0);
  });

  it('an unknown method is an error reply, not a hang', async () => {
    const replies: FromPeerMessage<Events>[] = [];
    const server = new RpcServer<Methods, Events>((m) => replies.push(m), {
      echo: async (p) => p,
      slow: async () => 'x',
      fail: async () => {
        throw new Error('x');
      },
    });
    server.handleMessage({ type: 'request', id: 9, method: 'constructor' as 'echo', params: {} });
    expect(replies).toEqual([{ type: 'error', id: 9, error: { code: 'INTERNAL', message: 'unknown method "constructor"' } }]);
  });
});
