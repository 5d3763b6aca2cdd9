/** `atelier models list --comfyui <url>` (the built CLI) against the loopback ComfyUI test double. */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComfyServer, type ComfyDouble } from '../helpers/comfyServer';
import { CLI_PATH } from '../helpers/worker';

const run = promisify(execFile);
let open: ComfyDouble;
let locked: ComfyDouble;

beforeAll(async () => {
  open = await startComfyServer();
  locked = await startComfyServer({ faults: { token: 'sk-comfy-TESTSECRET' } });
});
afterAll(async () => {
  await open.close();
  await locked.close();
});

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_PATH, ...args], { env: { ...process.env, ATELIER_COMFYUI_URL: '', ATELIER_COMFYUI_TOKEN: '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('atelier models list --comfyui', () => {
  it('lists the server, its device, and its checkpoints, ControlNets, LoRAs, upscale models and samplers', async () => {
    const { code, stdout } = await cli(['models', 'list', '--comfyui', open.url]);
    expect(code).toBe(0);
    const host = new URL(open.url).host;
    expect(stdout).toContain(`ComfyUI at ${host} (ComfyUI 0.3.64): NVIDIA GeForce RTX 4090 (cuda), 22.5 of 24.0 GiB VRAM free`);
    expect(stdout).toContain('checkpoints (3):\n  sd_xl_base_1.0.safetensors\n  v1-5-pruned-emaonly.safetensors\n  SD1.5/dreamshaper_8.safetensors\n');
    expect(stdout).toContain('ControlNets (3):\n  control_v11p_sd15_openpose.pth');
    expect(stdout).toContain('LoRAs (2):\n  pixel-art-xl.safetensors\n  style/watercolor_v2.safetensors\n');
    expect(stdout).toContain('upscale models (2):\n  4x-UltraSharp.pth\n  RealESRGAN_x2plus.pth\n');
    expect(stdout).toContain('samplers: euler, euler-a, ddim, dpmpp-2m, dpmpp-2m-karras, lcm');
    // It lists the server, not the local cache.
    expect(stdout).not.toContain('catalogue');
  });

  it('takes the server from ATELIER_COMFYUI_URL (and says so) and the token from ATELIER_COMFYUI_TOKEN', async () => {
    const fromEnv = await cli(['models', 'list'], { ATELIER_COMFYUI_URL: open.url });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stderr).toContain(`listing the ComfyUI server at ${open.url} (ATELIER_COMFYUI_URL)`);
    expect(fromEnv.stdout).toContain('checkpoints (3):');

    const noToken = await cli(['models', 'list', `--comfyui=${locked.url}`]);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain(`atelier: ComfyUI at ${new URL(locked.url).host} asks for a token (HTTP 401): set the ComfyUI token (ATELIER_COMFYUI_TOKEN for the CLI)`);
    const withToken = await cli(['models', 'list', '--comfyui', locked.url], { ATELIER_COMFYUI_TOKEN: 'sk-comfy-TESTSECRET' });
    expect(withToken.code).toBe(0);
    expect(withToken.stdout + withToken.stderr).not.toContain('TESTSECRET');
  });

  it('a server that is down, or a flag without a URL, gives one clear line', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise<void>((r) => probe.close(() => r()));
    const down = await cli(['models', 'list', '--comfyui', url]);
    expect(down.code).toBe(1);
    // (The first letter's case is the CLI's wording rule, not this feature's.)
    expect(down.stderr.trim()).toMatch(/^atelier: [Nn]othing answers at ComfyUI at /);
    expect(down.stderr.trim().slice('atelier: N'.length)).toBe(`othing answers at ComfyUI at ${new URL(url).host} (connection refused): start ComfyUI (python main.py --listen) or check the URL and port.`);
    const usage = await cli(['models', 'list', '--comfyui']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--comfyui needs the server address');
    expect((await cli(['models', 'pull', 'a/b', '--comfyui', open.url])).stderr).toContain('--comfyui goes with models list');
  });
});
