/** `atelier generate|upscale --comfyui <url>` (the built CLI) against the loopback ComfyUI test double. */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { readParameters } from '../../src/host/output/imageMetadata';
import { startComfyServer, type ComfyDouble, type ComfyDoubleOptions } from '../helpers/comfyServer';
import { blockImage, rectMask } from '../helpers/images';
import { CLI_PATH } from '../helpers/worker';

const run = promisify(execFile);
const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-cli-comfy-'));
const doubles: ComfyDouble[] = [];
afterEach(async () => {
  for (const d of doubles.splice(0)) await d.close();
});
async function server(options: ComfyDoubleOptions = {}): Promise<ComfyDouble> {
  const d = await startComfyServer(options);
  doubles.push(d);
  return d;
}

const ENV = { ATELIER_COMFYUI_URL: '', ATELIER_COMFYUI_TOKEN: '', ATELIER_MODEL: '' };

async function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_PATH, ...args], { env: { ...process.env, ...ENV, ...env }, cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function rgbOf(file: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  const { data, info } = await sharp(file).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

const CHECKPOINT = 'SD1.5/dreamshaper_8.safetensors';

describe('atelier generate --comfyui', () => {
  it('writes the result with metadata naming the backend and the server checkpoint; never overwrites', async () => {
    const double = await server();
    const dir = temp();
    const out = path.join(dir, 'cat.png');
    const args = ['generate', 'a cat', '--comfyui', double.url, '--model', CHECKPOINT, '--seed', '7', '--steps', '3', '--sampler', 'euler-a', '--width', '96', '--height', '64', '--negative', 'blurry', '--out', out];
    const first = await cli(args);
    expect(first.stderr).toContain(`atelier: 96×64, 3 steps (euler-a), seed 7, SD1.5/dreamshaper_8.safetensors on ComfyUI at ${new URL(double.url).host}, `);
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe(out);
    const params = readParameters(readFileSync(out)) ?? '';
    expect(params).toContain('a cat\nNegative prompt: blurry\nSteps: 3, Sampler: Euler a, CFG scale: 7.5, Seed: 7, Size: 96x64, Model: SD1.5/dreamshaper_8.safetensors');
    expect(params).toContain('Backend: ComfyUI 0.3.64');
    expect(params).not.toContain('Execution provider');
    // What the server was asked for.
    const ks = Object.values(double.prompts[0].prompt).find((n) => n.class_type === 'KSampler');
    expect(ks?.inputs).toMatchObject({ seed: 7, steps: 3, sampler_name: 'euler_ancestral', scheduler: 'normal' });
    expect((await rgbOf(out)).width).toBe(96);
    const second = await cli(args);
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe(path.join(dir, 'cat-1.png'));
    expect(readdirSync(dir).sort()).toEqual(['cat-1.png', 'cat.png']);
  });

  it('takes the server from ATELIER_COMFYUI_URL, and the default name is the local one (<prompt>-<seed>.png)', async () => {
    const double = await server();
    const dir = temp();
    const r = await cli(['generate', 'a red fox', '--model', CHECKPOINT, '--seed', '11', '--steps', '2', '--width', '64', '--height', '64'], { ATELIER_COMFYUI_URL: double.url }, dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`running on the ComfyUI server at ${double.url} (ATELIER_COMFYUI_URL)`);
    expect(readdirSync(dir)).toEqual(['a-red-fox-11.png']);
  });

  it('refuses a checkpoint the server does not list, with the list, before submitting anything', async () => {
    const double = await server();
    const dir = temp();
    const r = await cli(['generate', 'a cat', '--comfyui', double.url, '--model', 'v1-5.ckpt', '--out', path.join(dir, 'x.png')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`has no checkpoint "v1-5.ckpt"; it lists: sd_xl_base_1.0.safetensors, v1-5-pruned-emaonly.safetensors, SD1.5/dreamshaper_8.safetensors`);
    expect(double.prompts).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    // Without --model the error lists them too; the inverse: a listed one runs.
    const none = await cli(['generate', 'a cat', '--comfyui', double.url, '--out', path.join(dir, 'x.png')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--comfyui needs --model <checkpoint as the server lists it>; it lists: sd_xl_base_1.0.safetensors');
  });

  it('refuses a sampler without a ComfyUI equivalent before submitting', async () => {
    const double = await server();
    const r = await cli(['generate', 'a cat', '--comfyui', double.url, '--model', CHECKPOINT, '--sampler', 'pndm', '--out', path.join(temp(), 'x.png')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('sampler pndm has no ComfyUI equivalent');
    expect(double.prompts).toEqual([]);
  });

  it('refuses options only the local pipeline reads, before connecting', async () => {
    const r = await cli(['generate', 'a cat', '--comfyui', 'http://127.0.0.1:9', '--model', CHECKPOINT, '--full-size', '--provider', 'cuda', '--init-image', 'x.png']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('atelier: --full-size, --provider apply only to the local pipeline; leave them out with --comfyui');
    expect(r.stderr).not.toContain('answers');
  });

  it('--control with --controlnet <type>=<server ControlNet>, --lora name:weight and --outpaint reach the graph; a control without a server ControlNet is refused before uploading', async () => {
    const double = await server();
    const dir = temp();
    const init = path.join(dir, 'init.png');
    await sharp(Buffer.from(blockImage(64, 48, 2)), { raw: { width: 64, height: 48, channels: 3 } }).png().toFile(init);
    const hint = path.join(dir, 'depth.png');
    await sharp(Buffer.from(blockImage(64, 48, 4)), { raw: { width: 64, height: 48, channels: 3 } }).png().toFile(hint);
    const out = path.join(dir, 'out.png');
    const r = await cli(['generate', 'a wide hall', '--comfyui', double.url, '--model', CHECKPOINT, '--seed', '5', '--steps', '2', '--init-image', init, '--outpaint', '16,0,8,0',
      '--control', `depth=${hint}:0.7:0:0.5`, '--controlnet', 'depth=control_v11f1p_sd15_depth.pth', '--lora', 'style/watercolor_v2.safetensors:0.6', '--lora', 'pixel-art-xl.safetensors', '--out', out]);
    expect(r.stderr).not.toContain('rror');
    expect(r.code).toBe(0);
    const nodes = Object.values(double.prompts[0].prompt);
    expect(nodes.find((n) => n.class_type === 'ImagePadForOutpaint')?.inputs).toMatchObject({ left: 16, top: 8, right: 0, bottom: 0 });
    expect(nodes.find((n) => n.class_type === 'ControlNetLoader')?.inputs?.control_net_name).toBe('control_v11f1p_sd15_depth.pth');
    expect(nodes.find((n) => n.class_type === 'ControlNetApplyAdvanced')?.inputs).toMatchObject({ strength: 0.7, start_percent: 0, end_percent: 0.5 });
    expect(nodes.filter((n) => n.class_type === 'LoraLoader').map((n) => [n.inputs?.lora_name, n.inputs?.strength_model])).toEqual([['style/watercolor_v2.safetensors', 0.6], ['pixel-art-xl.safetensors', 1]]);
    const result = await rgbOf(out);
    expect([result.width, result.height]).toEqual([80, 56]);

    const uploads = double.uploads.size;
    const unnamed = await cli(['generate', 'a hall', '--comfyui', double.url, '--model', CHECKPOINT, '--control', `depth=${hint}`, '--out', path.join(dir, 'y.png')]);
    expect(unnamed.code).toBe(1);
    expect(unnamed.stderr).toContain('--controlnet depth=<ControlNet as the server lists it>');
    expect(double.uploads.size).toBe(uploads);
  });

  it('a server that is down gives one clear line naming the host', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await cli(['generate', 'a cat', '--comfyui', url, '--model', CHECKPOINT, '--out', path.join(temp(), 'x.png')]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^atelier: [Nn]othing answers at ComfyUI at ${new URL(url).host.replace(/\./g, '\\.')} \\(connection refused\\)`));
  });

  it('inpaints an EXIF-rotated JPEG of odd size: pixels outside the mask are byte-identical to the decoded original', async () => {
    const double = await server();
    const dir = temp();
    // Stored 70×100 with orientation 6: upright it is 100×70 (not a multiple of 8).
    const photo = path.join(dir, 'photo.jpg');
    await sharp(Buffer.from(blockImage(72, 104, 5)), { raw: { width: 72, height: 104, channels: 3 } }).extract({ left: 0, top: 0, width: 70, height: 100 }).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toFile(photo);
    const maskFile = path.join(dir, 'mask.png');
    const mask = rectMask(100, 70, 30, 20, 80, 60);
    await sharp(Buffer.from(mask), { raw: { width: 100, height: 70, channels: 1 } }).toColourspace('b-w').png().toFile(maskFile);
    const out = path.join(dir, 'out.png');
    const r = await cli(['generate', 'a hat', '--comfyui', double.url, '--model', CHECKPOINT, '--seed', '3', '--steps', '2', '--init-image', photo, '--mask', maskFile, '--mask-blur', '2', '--out', out]);
    expect(r.stderr).not.toContain('rror');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('the image is 100×70; ComfyUI works in multiples of 8, so it was sent as 104×72');
    const original = await rgbOf(photo);
    const result = await rgbOf(out);
    expect([result.width, result.height]).toEqual([100, 70]);
    let outside = 0;
    let changedInside = 0;
    for (let i = 0; i < mask.length; i++) {
      const same = [0, 1, 2].every((c) => result.data[i * 3 + c] === original.data[i * 3 + c]);
      if (mask[i] < 128) {
        outside += 1;
        if (!same) throw new Error(`pixel ${i % 100},${Math.floor(i / 100)} outside the mask changed`);
      } else if (!same) changedInside += 1;
    }
    expect(outside).toBe(100 * 70 - 50 * 40);
    // The inverse: the server did repaint the masked area (and altered the rest, which the paste-back undid).
    expect(changedInside).toBeGreaterThan(1000);
    expect(readParameters(readFileSync(out))).toContain('Mask: mask.png, Mask blur: 2');
  });

  it('Ctrl-C interrupts the job on the server: exit 130, /interrupt sent, no file', async () => {
    const double = await server({ faults: { stepDelayMs: 300 } });
    const dir = temp();
    const child = spawn(process.execPath, [CLI_PATH, 'generate', 'a cat', '--comfyui', double.url, '--model', CHECKPOINT, '--steps', '200', '--out', path.join(dir, 'x.png')], { env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!sent && stderr.includes('denoising')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(guard);
    expect(stderr).toContain('cancelling');
    expect(code).toBe(130);
    expect(double.interrupts.length).toBeGreaterThan(0);
    expect(double.interrupts[0].promptId).toBe(double.prompts[0].promptId);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('atelier upscale --comfyui', () => {
  it('upscales with the server model; the name carries the scale the model gave', async () => {
    const double = await server();
    const dir = temp();
    const image = path.join(dir, 'tile.png');
    await sharp(Buffer.from(blockImage(32, 24, 9)), { raw: { width: 32, height: 24, channels: 3 } }).png().toFile(image);
    const r = await cli(['upscale', image, '--comfyui', double.url, '--model', '4x-UltraSharp.pth']);
    expect(r.stderr).not.toContain('rror');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(path.join(dir, 'tile@4x.png'));
    expect((await rgbOf(path.join(dir, 'tile@4x.png'))).width).toBe(128);
    // The metadata names the model and the engine, never the server's address (files travel).
    const text = readFileSync(path.join(dir, 'tile@4x.png')).toString('latin1');
    expect(text).toContain('Postprocess upscaler: "4x-UltraSharp.pth (ComfyUI 0.3.64)"');
    expect(text).not.toContain('127.0.0.1');
    const unknown = await cli(['upscale', image, '--comfyui', double.url, '--model', 'nope.pth']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('has no upscale model "nope.pth"; it lists: 4x-UltraSharp.pth, RealESRGAN_x2plus.pth');
  });
});
