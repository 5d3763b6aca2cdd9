/** `atelier models pull` on hostile networks: every wait ends, with the host named; Ctrl-C exits 130. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { oracleModel } from '../helpers/fixtures';
import { startHub, type TestHub } from '../helpers/hubServer';
import { CLI_PATH } from '../helpers/worker';

const COMMIT = 'c'.repeat(40);
let hub: TestHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

async function serve(): Promise<{ h: TestHub; env: NodeJS.ProcessEnv }> {
  hub = await startHub([{ repo: 'atelier/oracle', commits: { [COMMIT]: oracleModel() }, refs: { main: COMMIT } }]);
  return { h: hub, env: { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: mkdtempSync(path.join(os.tmpdir(), 'atelier-cli-net-')), HF_TOKEN: '' } };
}

describe('atelier models pull on a hostile network', () => {
  it('a Hub that never answers: --connect-timeout ends the wait with a message naming the host', async () => {
    const { h, env } = await serve();
    h.faults.neverAnswer = 'api';
    const r = await runCli(['models', 'pull', 'atelier/oracle', '--connect-timeout', '0.5'], env, 60_000);
    expect(r.stderr).toContain(`${new URL(h.endpoint).host} did not answer within 0.5 s (connect timeout)`);
    expect(r.code).toBe(1);
  });

  it('a trickling body: ATELIER_IDLE_TIMEOUT ends it, the partial is kept', async () => {
    const { h, env } = await serve();
    h.faults.slowChunkBytes = 1;
    const r = await runCli(['models', 'pull', 'atelier/oracle'], { ...env, ATELIER_IDLE_TIMEOUT: '0.3' }, 60_000);
    expect(r.stderr).toMatch(/\(idle timeout\).*the partial file is kept and the next pull resumes it/);
    expect(r.code).toBe(1);
  });

  it('bad timeout values are refused up front', async () => {
    const { env } = await serve();
    for (const value of ['0x10', 'abc', '0', '-1', '']) {
      const r = await runCli(['models', 'pull', 'atelier/oracle', `--idle-timeout=${value}`], env, 60_000);
      expect(r.code, value).toBe(2);
      expect(r.stderr).toContain(`--idle-timeout must be a number of seconds from 0.001 to 86400, got ${JSON.stringify(value)}`);
    }
    const fromEnv = await runCli(['models', 'pull', 'atelier/oracle'], { ...env, ATELIER_CONNECT_TIMEOUT: 'soon' }, 60_000);
    expect([fromEnv.code, fromEnv.stderr]).toEqual([1, expect.stringContaining('ATELIER_CONNECT_TIMEOUT must be a number of seconds')]);
  });

  it('Ctrl-C while an API body is arriving exits 130 and says the download was cancelled', async () => {
    const { h, env } = await serve();
    h.faults.slowApiChunkBytes = 1;
    const child = spawn(process.execPath, [CLI_PATH, 'models', 'pull', 'atelier/oracle'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    while (h.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toContain('atelier: The download of atelier/oracle was cancelled; the partial files are kept');
    expect(stderr).not.toMatch(/internal error/i);
    expect(code).toBe(130);
  });

  it('two pulls of one repo at once both succeed (they take turns per file)', async () => {
    const { h, env } = await serve();
    h.faults.slowChunkBytes = 64 * 1024;
    const [a, b] = await Promise.all([runCli(['models', 'pull', 'atelier/oracle'], env, 120_000), runCli(['models', 'pull', 'atelier/oracle'], env, 120_000)]);
    expect([a.code, b.code, a.stderr + b.stderr]).toEqual([0, 0, expect.not.stringMatching(/ENOENT|internal error/i)]);
    expect(a.stdout).toBe(b.stdout);
  });
});
