/** The worker's private temp folder is removed on dispose and on exit; folders of killed hosts are swept. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepStaleWorkerDirs } from '../../../src/host/worker/workerTempDir';
import { runCli } from '../../helpers/cli';
import { TOKENIZER_ASSETS, tinyModel } from '../../helpers/fixtures';
import { testSupervisor } from '../../helpers/worker';
import { CLI_PATH } from '../../helpers/worker';

const ours = (tmp: string, pid: number = process.pid): string[] => readdirSync(tmp).filter((n) => n.startsWith(`atelier-worker-${pid}-`));

describe('worker temp folders', () => {
  it('a supervisor removes its folder on dispose (after a worker ran in it)', async () => {
    const before = ours(os.tmpdir());
    const { supervisor } = testSupervisor();
    expect(ours(os.tmpdir())).toHaveLength(before.length + 1);
    await supervisor.tokenize({ tokenizerDir: TOKENIZER_ASSETS, text: 'a cat' });
    await supervisor.dispose();
    expect(ours(os.tmpdir())).toEqual(before);
  });

  it('the CLI leaves no folder behind; a killed CLI\'s folder is swept by the next run, a live process\'s is kept', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'atelier-tmpdir-'));
    const r = await runCli(['tokenize', '--tokenizer', TOKENIZER_ASSETS, 'a cat'], { TMPDIR: tmp });
    expect(r.code).toBe(0);
    expect(readdirSync(tmp).filter((n) => n.startsWith('atelier-worker-'))).toEqual([]);

    // A CLI killed with SIGKILL mid-job cannot clean up…
    const child = spawn(process.execPath, [CLI_PATH, 'generate', 'cat', '--model', tinyModel(), '--out', path.join(tmp, 'x.png'), '--width', '64', '--height', '64', '--steps', '900'], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve) => child.stderr.on('data', (chunk: Buffer) => chunk.toString().includes('denoising') && resolve()));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(ours(tmp, child.pid)).toHaveLength(1);
    const alive = path.join(tmp, `atelier-worker-${process.ppid}-abcdef`);
    mkdirSync(alive);
    // …so the next run sweeps it, and keeps the folder of a process that still runs.
    expect((await runCli(['tokenize', '--tokenizer', TOKENIZER_ASSETS, 'a cat'], { TMPDIR: tmp })).code).toBe(0);
    expect(ours(tmp, child.pid)).toEqual([]);
    expect(existsSync(alive)).toBe(true);
    expect(sweepStaleWorkerDirs(tmp)).toEqual([]);
  });
});
