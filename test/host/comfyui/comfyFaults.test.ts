/** Each way a server or link fails gives one clear, typed error that names the server. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { txt2imgGraph } from '../../../src/host/comfyui/buildGraph';
import { ComfyClient } from '../../../src/host/comfyui/client';
import { generateWithComfy } from '../../../src/host/comfyui/comfyJob';
import type { ComfyWorkflowInput, RawImage } from '../../../src/host/comfyui/workflowInput';
import { connect, failure, server } from './harness';

const host = (double: { url: string }): string => `ComfyUI at ${new URL(double.url).host}`;

const job: ComfyWorkflowInput<RawImage> = {
  kind: 'txt2img',
  checkpoint: 'v1-5-pruned-emaonly.safetensors',
  prompt: 'a red fox',
  negativePrompt: '',
  sampling: { sampler: 'euler', steps: 3, guidanceScale: 7, seed: 7 },
  loras: [],
  controls: [],
  width: 64,
  height: 64,
};

describe('connecting', () => {
  it('down: nothing listens on the port', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise<void>((r) => probe.close(() => r()));
    const error = await failure(ComfyClient.connect(url));
    expect(error.code).toBe('BACKEND_UNREACHABLE');
    expect(error.message).toBe(`nothing answers at ${host({ url })} (connection refused): start ComfyUI (python main.py --listen) or check the URL and port`);
  });

  it('not ComfyUI: another web server on that port', async () => {
    const double = await server({ faults: { notComfyUI: true } });
    const error = await failure(ComfyClient.connect(double.url));
    expect(error.code).toBe('BACKEND_INCOMPATIBLE');
    expect(error.message).toContain(`${host(double)} answered GET /api/system_stats with text/html that is not JSON`);
    expect(error.message).toContain('this is not a ComfyUI server');
  });

  it('too old: no /api routes (before June 2024)', async () => {
    const double = await server({ tooOld: true });
    const error = await failure(ComfyClient.connect(double.url));
    expect(error.code).toBe('BACKEND_INCOMPATIBLE');
    expect(error.message).toMatch(new RegExp(`^${host(double)} is too old: it predates ComfyUI's /api routes`));
  });

  it('never answering: the idle timeout names the server and the setting', async () => {
    const double = await server({ faults: { neverAnswer: true } });
    const error = await failure(ComfyClient.connect(double.url, { timeouts: { idleMs: 300 } }));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(new RegExp(`^${host(double)} stopped answering for 0.3 s during GET /api/system_stats.*raise the idle timeout`));
  });

  it('trickling bytes: the whole-request deadline ends it', async () => {
    const double = await server({ faults: { trickleMs: 20 } });
    const error = await failure(ComfyClient.connect(double.url, { timeouts: { requestMs: 400 } }));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(new RegExp(`^${host(double)} took longer than 0.4 s for GET /api/system_stats \\(\\d+ bytes received\\)`));
  });

  it('auth required: no token, a wrong token, the right one (sent on every call and the websocket)', async () => {
    const double = await server({ faults: { token: 'sk-comfy-SECRET' } });
    const missing = await failure(ComfyClient.connect(double.url));
    expect(missing.code).toBe('BACKEND_AUTH_REQUIRED');
    expect(missing.message).toContain(`${host(double)} asks for a token (HTTP 401)`);
    const wrong = await failure(ComfyClient.connect(double.url, { token: 'nope' }));
    expect(wrong.message).toContain('refused the token');
    expect(wrong.message).not.toContain('nope');
    const client = await connect(double.url, { token: 'sk-comfy-SECRET' });
    await generateWithComfy(client, job);
    const authed = double.calls.filter((c) => c.authorization === 'Bearer sk-comfy-SECRET');
    expect(authed.some((c) => c.method === 'WS')).toBe(true);
    expect(authed.some((c) => c.path.startsWith('/api/view'))).toBe(true);
  });

  it('a redirect to another host: followed without the token', async () => {
    const other = await server();
    const double = await server({ faults: { redirectTo: other.url } });
    await connect(double.url, { token: 'sk-comfy-SECRET' });
    expect(other.calls.length).toBeGreaterThan(0);
    expect(other.calls.every((c) => c.authorization === undefined)).toBe(true);
    expect(double.calls.every((c) => c.authorization === 'Bearer sk-comfy-SECRET')).toBe(true);
  });

  it('refuses URLs with credentials or odd schemes, and tokens that would split a header', async () => {
    expect((await failure(ComfyClient.connect('http://user:pw@127.0.0.1:8188'))).message).toContain('remove it and give the token separately');
    expect((await failure(ComfyClient.connect('file:///etc/passwd'))).code).toBe('INVALID_INPUT');
    expect((await failure(ComfyClient.connect('http://127.0.0.1:8188', { token: 'a\r\nX-Evil: 1' }))).argument).toBe('token');
  });
});

describe('during a job', () => {
  it('HTTP 500 on POST /prompt', async () => {
    const double = await server({ faults: { status: { path: '/api/prompt', code: 500 } } });
    const client = await connect(double.url);
    const error = await failure(generateWithComfy(client, job));
    expect(error.code).toBe('BACKEND_UNREACHABLE');
    expect(error.message).toBe(`${host(double)} failed with HTTP 500 on POST /api/prompt: 500 Internal Server Error Server got itself in trouble`);
  });

  it('HTTP 400 with node_errors: names the node, the input and the fix', async () => {
    const double = await server();
    const client = await connect(double.url);
    // Past the client's own checks: a graph naming a checkpoint the server does not have.
    const built = txt2imgGraph({ kind: 'txt2img', checkpoint: 'gone.safetensors', prompt: 'x', negativePrompt: '', sampling: job.sampling, loras: [], controls: [], width: 64, height: 64 });
    const error = await failure(client.run(built, { exactly: { width: 64, height: 64 } }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.argument).toBe('model');
    expect(error.message).toMatch(new RegExp(`^${host(double)} refused the job: CheckpointLoaderSimple \\(node 1\\), input ckpt_name: Value not in list \\(ckpt_name: 'gone.safetensors' not in \\[.*\\]\\); choose a checkpoint the server lists`));
  });

  it('execution_error: the node and the exception; a CUDA OOM is an out-of-memory error', async () => {
    const double = await server({ faults: { failClass: { classType: 'VAEDecode', exceptionType: 'RuntimeError', message: 'Given groups=1, weight of size [512, 4, 3, 3]\nmore lines' } } });
    const client = await connect(double.url);
    const error = await failure(generateWithComfy(client, job));
    expect(error.code).toBe('INFERENCE_FAILED');
    expect(error.message).toMatch(new RegExp(`^${host(double)} failed in VAEDecode \\(node \\d+\\): RuntimeError: Given groups=1, weight of size \\[512, 4, 3, 3\\]; see the ComfyUI console`));
    double.faults.failClass = { classType: 'KSampler', exceptionType: 'torch.OutOfMemoryError', message: 'Allocation on device' };
    const oom = await failure(generateWithComfy(client, { ...job, sampling: { ...job.sampling, seed: 8 } }));
    expect(oom.code).toBe('OUT_OF_MEMORY');
    expect(oom.message).toMatch(/ran out of GPU memory in KSampler \(node \d+\) at 64×64/);
  });

  it('a huge, oversized, invalid, truncated or wrong-size result image is refused before decoding', async () => {
    const double = await server();
    const client = await connect(double.url);
    const cases = [
      ['huge-header', /sent a 65535×65535 image where 64×64 was asked for; refusing it/],
      ['oversized', /announced \d+ bytes for the result atelier_\d+_\.png, more than the 8404992 accepted/],
      ['garbage', /sent 41 bytes that are not a PNG, JPEG or WebP image \(they start with "<html><body>502 "\)/],
      ['truncated', /sent a PNG that cannot be decoded \(.*\); it may be truncated/],
      ['wrong-size', /sent a 32×32 image where 64×64 was asked for/],
    ] as const;
    for (const [fault, message] of cases) {
      double.faults.resultImage = fault;
      const error = await failure(generateWithComfy(client, job));
      expect(error.code, fault).toBe('BACKEND_INCOMPATIBLE');
      expect(error.message, fault).toMatch(message);
      expect(error.message, fault).toContain(host(double));
    }
    // Without a Content-Length only counting the bytes can stop it.
    double.faults.resultImage = 'oversized';
    double.faults.noContentLength = true;
    const counted = await failure(generateWithComfy(client, job));
    expect(counted.message).toMatch(/sent more than 8404992 bytes for the result atelier_\d+_\.png; refusing the rest/);
  });

  it('a result file name from the server that leaves its folder is never fetched', async () => {
    const double = await server({ faults: { unsafeFilename: true } });
    const client = await connect(double.url);
    const error = await failure(generateWithComfy(client, job));
    expect(error.code).toBe('BACKEND_INCOMPATIBLE');
    expect(error.message).toContain('named its result "../../../etc/passwd", which is not a plain image file in its own folders');
    expect(double.calls.some((c) => c.path.startsWith('/api/view'))).toBe(false);
  });
});
