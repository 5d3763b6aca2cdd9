/**
 * The wire format on both sides: the test double answers as ComfyUI's server.py/execution.py do (so the
 * client is tested against the protocol, not against itself), and the client's parsers and checks
 * read that protocol and refuse what does not fit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { makeConnection, parseComfyUrl, serverLabel } from '../../../src/host/comfyui/connection';
import { comboOptions } from '../../../src/host/comfyui/discovery';
import { parseBinaryFrame, parseMessage } from '../../../src/host/comfyui/messages';
import { checkImageRef } from '../../../src/host/comfyui/transfer';
import { PipelineError } from '../../../src/shared/errors';
import { startComfyServer, type ComfyDouble } from '../../helpers/comfyServer';

let double: ComfyDouble;
beforeAll(async () => {
  double = await startComfyServer();
});
afterAll(async () => double.close());

async function post(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${double.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: res.status === 200 || res.status === 400 ? await res.json() : undefined };
}

describe('the test double speaks ComfyUI’s protocol', () => {
  it('POST /prompt refuses malformed graphs with validate_prompt’s error shapes', async () => {
    expect(await post('/api/prompt', {})).toEqual({ status: 400, json: { error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }, node_errors: {} } });
    expect((await post('/api/prompt', { prompt: { 1: { inputs: {} } } })).json).toMatchObject({ error: { type: 'invalid_prompt', message: 'Cannot execute because a node is missing the class_type property.', details: "Node ID '#1'" } });
    expect((await post('/api/prompt', { prompt: { 7: { class_type: 'Foo', inputs: {} } } })).json).toMatchObject({ error: { type: 'invalid_prompt', message: 'Cannot execute because node Foo does not exist.' } });
    expect((await post('/api/prompt', { prompt: { 1: { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } } } })).json).toMatchObject({ error: { type: 'prompt_no_outputs' } });
    const bad = await post('/api/prompt', {
      prompt: {
        1: { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 'tall', batch_size: 1 } },
        2: { class_type: 'VAEDecode', inputs: { samples: ['1', 0] } },
        3: { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({
      error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation' },
      node_errors: { 3: { class_type: 'SaveImage', dependent_outputs: ['3'], errors: [{ type: 'return_type_mismatch', details: 'images, received_type(LATENT) mismatch input_type(IMAGE)' }] } },
    });
  });

  it('answers with and without the /api prefix, and /view refuses paths that leave its folders', async () => {
    for (const path of ['/system_stats', '/api/system_stats']) expect((await fetch(`${double.url}${path}`)).status).toBe(200);
    expect((await fetch(`${double.url}/api/view?filename=..%2F..%2Fetc%2Fpasswd`)).status).toBe(400);
    expect((await fetch(`${double.url}/api/view?filename=%2Fetc%2Fpasswd`)).status).toBe(400);
    expect((await fetch(`${double.url}/api/view?filename=a.png&subfolder=..%2F..`)).status).toBe(403);
    expect((await fetch(`${double.url}/api/view?filename=missing.png`)).status).toBe(404);
  });

  it('POST /upload/image keeps a duplicate under its name and renames a different file "name (1).png"', async () => {
    const upload = async (bytes: number[]): Promise<unknown> => {
      const form = new FormData();
      form.append('image', new Blob([Uint8Array.from(bytes)], { type: 'image/png' }), 'same.png');
      return (await fetch(`${double.url}/api/upload/image`, { method: 'POST', body: form })).json();
    };
    expect(await upload([1, 2, 3])).toEqual({ name: 'same.png', subfolder: '', type: 'input' });
    expect(await upload([1, 2, 3])).toEqual({ name: 'same.png', subfolder: '', type: 'input' });
    expect(await upload([4, 5, 6])).toEqual({ name: 'same (1).png', subfolder: '', type: 'input' });
  });

  it('the websocket greets with status + sid, and previews are event 1 + image type + JPEG', async () => {
    const ws = new WebSocket(`${double.url.replace('http', 'ws')}/ws?clientId=probe`);
    const frames: Array<string | Buffer> = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => frames.push(isBinary ? data : data.toString()));
    await new Promise((r) => ws.once('open', r));
    const graph = {
      1: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' } },
      2: { class_type: 'CLIPTextEncode', inputs: { text: 'x', clip: ['1', 1] } },
      3: { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
      4: { class_type: 'KSampler', inputs: { model: ['1', 0], seed: 1, steps: 2, cfg: 7, sampler_name: 'euler', scheduler: 'normal', positive: ['2', 0], negative: ['2', 0], latent_image: ['3', 0], denoise: 1 } },
      5: { class_type: 'VAEDecode', inputs: { samples: ['4', 0], vae: ['1', 2] } },
      6: { class_type: 'SaveImage', inputs: { images: ['5', 0], filename_prefix: 'atelier/t' } },
    };
    const accepted = await post('/api/prompt', { prompt: graph, client_id: 'probe', prompt_id: 'p-1' });
    expect(accepted.json).toEqual({ prompt_id: 'p-1', number: expect.any(Number), node_errors: {} });
    await double.idle();
    await new Promise((r) => setTimeout(r, 50));
    ws.close();
    expect(JSON.parse(frames[0] as string)).toEqual({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid: 'probe' } });
    const types = frames.filter((f): f is string => typeof f === 'string').map((f) => (JSON.parse(f) as { type: string }).type);
    expect(types).toEqual(expect.arrayContaining(['execution_start', 'execution_cached', 'executing', 'progress', 'executed', 'execution_success']));
    const preview = frames.find((f): f is Buffer => typeof f !== 'string');
    expect(preview?.readUInt32BE(0)).toBe(1);
    expect(preview?.readUInt32BE(4)).toBe(1);
    expect([...(preview?.subarray(8, 11) ?? [])]).toEqual([0xff, 0xd8, 0xff]);
    const history = (await (await fetch(`${double.url}/api/history/p-1`)).json()) as Record<string, { outputs: Record<string, unknown>; status: { status_str: string } }>;
    expect(history['p-1'].status.status_str).toBe('success');
    expect(history['p-1'].outputs['6']).toEqual({ images: [{ filename: 'atelier/t'.split('/')[1] + '_00001_.png', subfolder: 'atelier', type: 'output' }] });
  });
});

describe('the client’s parsers and checks', () => {
  it('reads ComfyUI’s messages and ignores what it does not use or cannot read', () => {
    expect(parseMessage('{"type":"progress","data":{"value":3,"max":20,"prompt_id":"p","node":"4"}}')).toEqual({ type: 'progress', promptId: 'p', node: '4', value: 3, max: 20 });
    expect(parseMessage('{"type":"executing","data":{"node":null,"prompt_id":"p"}}')).toEqual({ type: 'executing', promptId: 'p', node: null });
    expect(parseMessage('{"type":"executed","data":{"node":"9","output":{"images":[{"filename":"a.png","subfolder":"","type":"output"}]},"prompt_id":"p"}}')).toMatchObject({ type: 'executed', node: '9', images: [{ filename: 'a.png' }] });
    expect(parseMessage('{"type":"execution_error","data":{"prompt_id":"p","node_id":"4","node_type":"KSampler","exception_type":"RuntimeError","exception_message":"boom"}}')).toEqual({ type: 'execution_error', promptId: 'p', error: { nodeId: '4', nodeType: 'KSampler', exceptionType: 'RuntimeError', exceptionMessage: 'boom' } });
    for (const junk of ['', 'not json', '[]', '{"type":"progress","data":{"value":"3","max":20}}', '{"type":"executing","data":{"node":5}}', '{"type":"crystools.monitor","data":{}}']) {
      expect(parseMessage(junk), junk).toBeUndefined();
    }
  });

  it('reads both preview frame formats and skips the rest', () => {
    const jpeg = [0xff, 0xd8, 0xff, 0xe0];
    const type1 = Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 1, ...jpeg]);
    expect(parseBinaryFrame(type1)).toEqual({ bytes: Uint8Array.from(jpeg) });
    const meta = new TextEncoder().encode('{"prompt_id":"p","node_id":"4"}');
    const type4 = Uint8Array.from([0, 0, 0, 4, 0, 0, 0, meta.length, ...meta, ...jpeg]);
    expect(parseBinaryFrame(type4)).toEqual({ bytes: Uint8Array.from(jpeg), promptId: 'p', node: '4' });
    expect(parseBinaryFrame(Uint8Array.from([0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff, 1]))).toBeUndefined();
    expect(parseBinaryFrame(Uint8Array.from([0, 0, 0, 3, 0, 0, 0, 1, 65]))).toBeUndefined();
    expect(parseBinaryFrame(Uint8Array.from([0, 0, 1]))).toBeUndefined();
  });

  it('reads combo choices in the legacy and the v3 (COMBO) formats', () => {
    expect(comboOptions({ input: { required: { ckpt_name: [['a.safetensors', 'b.ckpt'], { tooltip: 't' }] } } }, 'ckpt_name')).toEqual(['a.safetensors', 'b.ckpt']);
    expect(comboOptions({ input: { required: { model_name: ['COMBO', { options: ['4x.pth'] }] } } }, 'model_name')).toEqual(['4x.pth']);
    expect(comboOptions({ input: { required: { model_name: ['STRING', {}] } } }, 'model_name')).toEqual([]);
    expect(comboOptions(undefined, 'x')).toEqual([]);
  });

  it('builds /view only from plain file names in the output or temp folder', () => {
    const conn = makeConnection('http://127.0.0.1:8188');
    expect(checkImageRef(conn, { filename: 'atelier_00001_.png', subfolder: 'atelier', type: 'output' })).toEqual({ filename: 'atelier_00001_.png', subfolder: 'atelier', type: 'output' });
    expect(checkImageRef(conn, { filename: 'ComfyUI_temp_abcd_00001_.png', subfolder: '', type: 'temp' }).type).toBe('temp');
    const bad = [
      { filename: '../x.png', subfolder: '', type: 'output' },
      { filename: '/etc/passwd', subfolder: '', type: 'output' },
      { filename: 'a.png', subfolder: '../..', type: 'output' },
      { filename: 'a.png', subfolder: '/abs', type: 'output' },
      { filename: 'a.png', subfolder: '', type: 'input' },
      { filename: 'a.html', subfolder: '', type: 'output' },
      { filename: 'a\u0000.png', subfolder: '', type: 'output' },
      { filename: 5, subfolder: '', type: 'output' },
    ];
    for (const ref of bad) expect(() => checkImageRef(conn, ref), JSON.stringify(ref)).toThrow(PipelineError);
  });

  it('parses the server URL: host:port means http, a base path is kept, the label names it', () => {
    expect(parseComfyUrl('127.0.0.1:8188').href).toBe('http://127.0.0.1:8188/');
    expect(parseComfyUrl('https://gpu.example.com/ComfyBackendDirect').href).toBe('https://gpu.example.com/ComfyBackendDirect/');
    expect(serverLabel(parseComfyUrl('https://gpu.example.com/comfy/'))).toBe('ComfyUI at gpu.example.com/comfy');
    for (const bad of ['', 'ftp://x', 'http://a:b@x', 'http://x/?q=1', 'http://x/#f']) expect(() => parseComfyUrl(bad), bad).toThrow(PipelineError);
    expect(() => makeConnection('http://x', undefined, { idleMs: 0 })).toThrow(/idleMs timeout must be a positive number/);
  });
});
