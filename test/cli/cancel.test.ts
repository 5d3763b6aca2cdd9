/** Ctrl-C always acts: a frozen worker is ended within about a second; cancels say what was cancelled; exit 130. */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinyModel } from '../helpers/fixtures';
import { blockImage, pngOf } from '../helpers/images';
import { CLI_PATH } from '../helpers/worker';

const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-cli-cancel-'));

/** Runs the CLI; when its stderr first contains `marker`, calls `act(cliPid)`. Resolves with the exit code and stderr. */
function runUntil(args: string[], marker: string, act: (pid: number) => void): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { env: { ...process.env, ATELIER_MODEL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let acted = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!acted && stderr.includes(marker) && child.pid !== undefined) {
      acted = true;
      act(child.pid);
    }
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stderr });
    }),
  );
}

const workerOf = (cliPid: number): number => Number(execFileSync('ps', ['-o', 'pid=', '--ppid', String(cliPid)]).toString().trim().split(/\s+/)[0]);

describe('Ctrl-C', () => {
  it('with the worker frozen (SIGSTOP), the first Ctrl-C still ends the job: exit 130, no file, the worker gone', async () => {
    const dir = temp();
    let worker = 0;
    const r = await runUntil(['generate', 'cat', '--model', tinyModel(), '--out', path.join(dir, 'x.png'), '--width', '64', '--height', '64', '--steps', '900'], 'denoising', (cli) => {
      worker = workerOf(cli);
      process.kill(worker, 'SIGSTOP');
      process.kill(cli, 'SIGINT');
    });
    expect(r.stderr).toContain('atelier: Generation was cancelled (the worker did not stop within 1 s, so it was ended');
    expect(r.code).toBe(130);
    expect(readdirSync(dir)).toEqual([]);
    expect(() => process.kill(worker, 0)).toThrow();
  });

  it('an upscale cancelled says the upscaling was cancelled', async () => {
    const dir = temp();
    const image = path.join(dir, 'photo.png');
    writeFileSync(image, await pngOf(blockImage(512, 512, 9), 512, 512));
    const r = await runUntil(['upscale', image, '--scale', '4', '--model', 'medium'], 'upscaling', (cli) => process.kill(cli, 'SIGINT'));
    expect(r.stderr).toMatch(/atelier: Upscaling was cancelled/);
    expect(r.stderr).not.toContain('Generation');
    expect(r.code).toBe(130);
    expect(readdirSync(dir)).toEqual(['photo.png']);
  });
});
