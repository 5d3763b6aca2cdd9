/** The ComfyUI client end to end against the loopback test double: jobs, progress, previews, cancel, drops. */
import { describe, expect, it } from 'vitest';
import type { RunOptions } from '../../../src/host/comfyui/client';
import { generateWithComfy, upscaleWithComfy } from '../../../src/host/comfyui/comfyJob';
import type { ComfyProgress } from '../../../src/host/comfyui/jobTracker';
import type { ComfyWorkflowInput, RawImage } from '../../../src/host/comfyui/workflowInput';
import { expectedPixel } from '../../helpers/comfyServer';
import { connect, failure, server } from './harness';

const sampling = { sampler: 'euler-a', steps: 6, guidanceScale: 7, seed: 4242 } as const;
const common = { checkpoint: 'v1-5-pruned-emaonly.safetensors', prompt: 'a red fox', negativePrompt: 'blurry', sampling, loras: [], controls: [] };
const txt2img = (width = 64, height = 48): ComfyWorkflowInput<RawImage> => ({ ...common, kind: 'txt2img', width, height });

/** A photo-like RGB image: smooth colours with detail, not a flat fixture. */
function photo(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    data.set([(x * 3 + y) & 255, (y * 5) & 255, (x * y) & 255], i * 3);
  }
  return { width, height, channels: 3, data };
}
/** White (repaint) inside the rectangle, black elsewhere. */
function rectMask(width: number, height: number, r: { x: number; y: number; w: number; h: number }): RawImage {
  const data = new Uint8Array(width * height);
  for (let y = r.y; y < r.y + r.h; y++) data.fill(255, y * width + r.x, y * width + r.x + r.w);
  return { width, height, channels: 1, data };
}
const px = (image: RawImage, x: number, y: number): number[] => [...image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3)];

describe('discovery', () => {
  it('reads the version, the device and what the server offers', async () => {
    const client = await connect(await server());
    expect(client.info.version).toBe('0.3.64');
    expect(client.info.devices[0]).toMatchObject({ type: 'cuda', vramTotal: 25_756_696_576 });
    expect(client.info.checkpoints).toContain('SD1.5/dreamshaper_8.safetensors');
    expect(client.info.controlNets).toContain('control_v11p_sd15_openpose.pth');
    expect(client.info.loras).toContain('style/watercolor_v2.safetensors');
    // UpscaleModelLoader is a v3 node: its list comes from ["COMBO", { options }].
    expect(client.info.upscaleModels).toEqual(['4x-UltraSharp.pth', 'RealESRGAN_x2plus.pth']);
    expect(client.info.samplers).toContain('dpmpp_2m');
    expect(client.info.schedulers).toContain('karras');
  });

  it('asks the devices again for a current VRAM figure, with one request to system_stats and no node lists', async () => {
    const double = await server();
    const client = await connect(double);
    const before = double.calls.length;
    const devices = await client.devices();
    expect(devices).toEqual([{ name: 'cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync', type: 'cuda', vramTotal: 25_756_696_576, vramFree: 24_110_956_544 }]);
    expect(double.calls.slice(before).map((c) => c.path)).toEqual(['/api/system_stats']);
    await double.close();
    expect((await failure(client.devices())).code).toBe('BACKEND_UNREACHABLE');
  });
});

describe('jobs', () => {
  it('txt2img: its own prompt id, progress per step, a decoded preview, the image it asked for', async () => {
    const double = await server();
    const client = await connect(double);
    const progress: ComfyProgress[] = [];
    const previews: Array<{ width: number; height: number; rgb: Uint8Array }> = [];
    const result = await generateWithComfy(client, txt2img(64, 48), { onProgress: (p) => progress.push(p), onPreview: (p) => previews.push(p) });

    const posted = double.calls.find((c) => c.path === '/api/prompt')?.body as { prompt_id: string; client_id: string };
    expect(result.promptId).toBe(posted.prompt_id);
    expect(double.prompts[0]).toMatchObject({ promptId: posted.prompt_id, clientId: posted.client_id });
    const steps = progress.filter((p) => p.phase === 'denoising' && p.step > 0).map((p) => `${p.step}/${p.totalSteps}`);
    expect(steps).toEqual(['1/6', '2/6', '3/6', '4/6', '5/6', '6/6']);
    expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['uploading', 'loading', 'encoding', 'denoising', 'decoding', 'downloading']));
    expect(previews.length).toBeGreaterThan(0);
    expect(previews[0]).toMatchObject({ width: 8, height: 6 });
    expect(previews[0].rgb).toHaveLength(8 * 6 * 3);

    expect(result.image).toMatchObject({ width: 64, height: 48, channels: 3 });
    for (const [x, y] of [[0, 0], [63, 0], [10, 20], [63, 47]]) expect(px(result.image, x, y)).toEqual(expectedPixel(4242, x, y, 64, 48));
    expect(result).toMatchObject({ seed: 4242, steps: 6, sampler: 'euler-a', checkpoint: 'v1-5-pruned-emaonly.safetensors' });
    const ks = Object.values(double.prompts[0].prompt).find((n) => n.class_type === 'KSampler');
    expect(ks?.inputs).toMatchObject({ sampler_name: 'euler_ancestral', scheduler: 'normal', seed: 4242, steps: 6, cfg: 7 });
  });

  it('previews from a server without feature flags (event 1 frames, no prompt id) go to the job it runs', async () => {
    const double = await server({ faults: { legacyPreviews: true } });
    const client = await connect(double);
    const previews: number[] = [];
    await generateWithComfy(client, txt2img(64, 48), { onPreview: (p) => previews.push(p.width) });
    expect(previews.length).toBeGreaterThan(0);
    expect(previews[0]).toBe(8);
  });

  it('inpaint: uploads the image and the mask; ComfyUI repaints inside the mask and returns a whole (lossy) image', async () => {
    const double = await server();
    const client = await connect(double);
    const image = photo(64, 48);
    const mask = rectMask(64, 48, { x: 16, y: 8, w: 24, h: 16 });
    const job: ComfyWorkflowInput<RawImage> = { ...common, kind: 'inpaint', image, mask, strength: 1 };
    const result = await generateWithComfy(client, job);
    const names = [...double.uploads.keys()];
    expect(names).toHaveLength(2);
    for (const n of names) expect(n).toMatch(/^atelier-[0-9a-f]{20}\.png$/);
    expect(px(result.image, 20, 10)).toEqual(expectedPixel(4242, 20, 10, 64, 48));
    // Outside the mask: the source after ComfyUI's VAE round trip, not byte-identical (the host pastes back).
    expect(px(result.image, 2, 2)).toEqual(px(image, 2, 2).map((v) => v ^ 1));
    // Uploads are named by content: the same images again reuse the server's copies.
    await generateWithComfy(client, job);
    expect([...double.uploads.keys()].sort()).toEqual(names.sort());
  });

  it('outpaint and img2img return the sizes they promise; upscale returns a whole multiple', async () => {
    const client = await connect(await server());
    const image = photo(32, 24);
    const out = await generateWithComfy(client, { ...common, kind: 'outpaint', image, extend: { left: 16, right: 0, top: 8, bottom: 0 }, feather: 0, strength: 1 });
    expect(out.image).toMatchObject({ width: 48, height: 32 });
    const varied = await generateWithComfy(client, { ...common, kind: 'img2img', image, strength: 0.5, controls: [{ controlNet: 'control_v11f1p_sd15_depth.pth', image: photo(32, 24), scale: 0.8, start: 0, end: 1 }] });
    expect(varied.image).toMatchObject({ width: 32, height: 24 });
    const up = await upscaleWithComfy(client, { model: '4x-UltraSharp.pth', image });
    expect(up).toMatchObject({ scale: 4, image: { width: 128, height: 96 } });
    expect(px(up.image, 5, 5)).toEqual(px(image, 1, 1));
    const refused = await failure(upscaleWithComfy(client, { model: 'nope.pth', image }));
    expect(refused.message).toMatch(/has no upscale model "nope.pth"; it lists: 4x-UltraSharp.pth, RealESRGAN_x2plus.pth/);
  });

  it('refuses a checkpoint, LoRA or ControlNet the server does not list, with the list, before uploading or submitting', async () => {
    const double = await server();
    const client = await connect(double);
    const model = await failure(generateWithComfy(client, { ...txt2img(), checkpoint: 'sd3.5_large.safetensors' }));
    expect(model.code).toBe('INVALID_INPUT');
    expect(model.argument).toBe('model');
    expect(model.message).toContain('ComfyUI at 127.0.0.1');
    expect(model.message).toContain('has no checkpoint "sd3.5_large.safetensors"; it lists: sd_xl_base_1.0.safetensors, v1-5-pruned-emaonly.safetensors, SD1.5/dreamshaper_8.safetensors');
    expect((await failure(generateWithComfy(client, { ...txt2img(), loras: [{ name: 'x.safetensors', weight: 1 }] }))).argument).toBe('loras');
    const inpaint = { ...common, kind: 'inpaint' as const, image: photo(64, 48), mask: rectMask(64, 48, { x: 0, y: 0, w: 8, h: 8 }), strength: 1, controls: [{ controlNet: 'missing.pth', image: photo(64, 48), scale: 1, start: 0, end: 1 }] };
    expect((await failure(generateWithComfy(client, inpaint))).argument).toBe('controls');
    expect((await failure(generateWithComfy(client, { ...txt2img(), sampling: { ...sampling, sampler: 'pndm' } }))).argument).toBe('sampler');
    expect(double.calls.filter((c) => c.method === 'POST')).toEqual([]);
    expect(double.uploads.size).toBe(0);
  });
});

describe('cancel', () => {
  it('a running job: interrupt with its prompt id, and the call settles promptly', async () => {
    const double = await server({ faults: { stepDelayMs: 40 } });
    const client = await connect(double);
    const abort = new AbortController();
    const options: RunOptions = { signal: abort.signal, onProgress: (p) => p.phase === 'denoising' && p.step === 3 && abort.abort() };
    const error = await failure(generateWithComfy(client, { ...txt2img(), sampling: { ...sampling, steps: 200 } }, options));
    expect(error.code).toBe('CANCELLED');
    const id = double.prompts[0].promptId;
    expect(double.interrupts).toEqual([{ promptId: id }]);
    expect(double.calls.some((c) => c.path === '/api/queue' && JSON.stringify(c.body) === JSON.stringify({ delete: [id] }))).toBe(true);
    await double.idle();
    const history = (await (await fetch(`${double.url}/api/history/${id}`)).json()) as Record<string, { status: { messages: Array<[string]> } }>;
    expect(history[id].status.messages.map((m) => m[0])).toContain('execution_interrupted');
  });

  it('a queued job: removed from the queue, never interrupting the job that runs', async () => {
    const double = await server({ faults: { stepDelayMs: 30 } });
    const client = await connect(double);
    const other = await connect(double);
    const first = generateWithComfy(other, { ...txt2img(), sampling: { ...sampling, steps: 30 } });
    const abort = new AbortController();
    const mine = generateWithComfy(client, txt2img(), { signal: abort.signal, onProgress: (p) => p.phase === 'uploading' && setTimeout(() => abort.abort(), 100) });
    expect((await failure(mine)).code).toBe('CANCELLED');
    expect(double.interrupts).toEqual([]);
    await expect(first).resolves.toMatchObject({ steps: 30 });
    expect(double.executions).toHaveLength(1);
  });
});

describe('unreliable links and servers', () => {
  it('a websocket dropped mid-job: reconnects and collects the result from /history', async () => {
    const double = await server({ faults: { stepDelayMs: 20, dropSocketAtStep: 2, refuseSocketMs: 400 } });
    const client = await connect(double);
    const result = await generateWithComfy(client, txt2img());
    expect(px(result.image, 7, 7)).toEqual(expectedPixel(4242, 7, 7, 64, 48));
    expect(double.calls.some((c) => c.path === `/api/history/${result.promptId}`)).toBe(true);
    expect(double.calls.filter((c) => c.method === 'WS').length).toBeGreaterThanOrEqual(2);
  });

  it('a websocket dropped mid-job and back at once: progress resumes on the new socket, the result comes by `executed`', async () => {
    const double = await server({ faults: { stepDelayMs: 40, dropSocketAtStep: 2 } });
    const client = await connect(double);
    const steps: number[] = [];
    const result = await generateWithComfy(client, { ...txt2img(), sampling: { ...sampling, steps: 40 } }, { onProgress: (p) => p.phase === 'denoising' && p.step > 0 && steps.push(p.step) });
    expect(steps).toContain(40);
    expect(steps).not.toContain(2);
    expect(double.calls.filter((c) => c.method === 'WS')).toHaveLength(2);
    expect(double.calls.some((c) => c.path.startsWith('/api/view'))).toBe(true);
    expect(px(result.image, 9, 9)).toEqual(expectedPixel(4242, 9, 9, 64, 48));
  });

  it('a server that ignores the client’s prompt id (before 0.3.44): follows the server’s id', async () => {
    const double = await server({ faults: { ignorePromptId: true } });
    const client = await connect(double);
    const result = await generateWithComfy(client, txt2img());
    const sent = (double.calls.find((c) => c.path === '/api/prompt')?.body as { prompt_id: string }).prompt_id;
    expect(result.promptId).not.toBe(sent);
    expect(result.promptId).toBe(double.prompts[0].promptId);
    expect(px(result.image, 3, 4)).toEqual(expectedPixel(4242, 3, 4, 64, 48));
  });

  it('results only in /history (no executed message): found by the watchdog', async () => {
    const double = await server({ faults: { silentResults: true } });
    const client = await connect(double, { timeouts: { idleMs: 300 } });
    const result = await generateWithComfy(client, txt2img());
    expect(result.image.width).toBe(64);
  });

  it('a queued job the server forgets (queue cleared from elsewhere): the watchdog says so instead of waiting forever', async () => {
    const double = await server({ faults: { stepDelayMs: 30 } });
    const other = await connect(double);
    const client = await connect(double, { timeouts: { idleMs: 300 } });
    const first = generateWithComfy(other, { ...txt2img(), sampling: { ...sampling, steps: 60 } });
    const mine = failure(generateWithComfy(client, txt2img()));
    while (double.prompts.length < 2) await new Promise((r) => setTimeout(r, 10));
    await fetch(`${double.url}/api/queue`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"clear":true}' });
    const error = await mine;
    expect(error.code).toBe('BACKEND_INCOMPATIBLE');
    expect(error.message).toMatch(/no longer knows the job \(prompt [0-9a-f-]+\): it is neither queued, running nor in the history/);
    await first;
  });

  it('the server going away mid-job: one clear error after the reconnect window', async () => {
    const double = await server({ faults: { stepDelayMs: 50 } });
    const client = await connect(double, { timeouts: { reconnectMs: 600, connectMs: 300, idleMs: 300 } });
    const error = await failure(generateWithComfy(client, { ...txt2img(), sampling: { ...sampling, steps: 100 } }, { onProgress: (p) => p.step === 2 && void double.close() }));
    expect(error.code).toBe('BACKEND_UNREACHABLE');
    expect(error.message).toMatch(/ComfyUI at 127\.0\.0\.1:\d+ closed the websocket during the job .* could not be reached again within 1 s/);
  });
});
