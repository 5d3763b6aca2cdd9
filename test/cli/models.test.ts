/** `atelier models …` against the local test Hub, then generation from the pulled model. */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleModel } from '../helpers/fixtures';
import { GOOD_TOKEN, startHub, type TestHub } from '../helpers/hubServer';
import { runCli, type CliOutcome } from '../helpers/cli';

let hub: TestHub;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  hub = await startHub([{ repo: 'atelier/oracle', commits: { ['c'.repeat(40)]: oracleModel() }, refs: { main: 'c'.repeat(40) }, gated: true }]);
  env = { ...process.env, HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: mkdtempSync(path.join(os.tmpdir(), 'atelier-cli-hub-')), HF_TOKEN: GOOD_TOKEN, ATELIER_MODEL: '' };
});
afterAll(async () => hub.close());

const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliOutcome> => runCli(args, { ...env, ...extraEnv });

describe('atelier models', () => {
  it('pull → path → generate --model <repo id> → list → rm', async () => {
    const pulled = await cli(['models', 'pull', 'atelier/oracle']);
    expect(pulled.code).toBe(0);
    expect(pulled.stderr).toMatch(/downloaded .* — atelier\/oracle@cccccccccc/);
    const dir = pulled.stdout.trim();
    expect(existsSync(path.join(dir, 'model_index.json'))).toBe(true);

    expect((await cli(['models', 'path', 'atelier/oracle'])).stdout.trim()).toBe(dir);
    const again = await cli(['models', 'pull', 'atelier/oracle']);
    expect(again.stderr).toContain('already in the cache');

    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'atelier-out-')), 'x.png');
    const gen = await cli(['generate', 'a fox', '--model', 'atelier/oracle', '--out', out, '--width', '64', '--height', '64', '--steps', '4']);
    expect(gen.code).toBe(0);
    expect(readFileSync(out).subarray(1, 4).toString()).toBe('PNG');

    const list = await cli(['models', 'list']);
    expect(list.stdout).toContain('atelier/oracle@main');
    expect(list.stdout).toContain('stable-diffusion-v1-5/stable-diffusion-v1-5@onnx');

    const rm = await cli(['models', 'rm', 'atelier/oracle']);
    expect(rm.stderr).toMatch(/removed 1 snapshot\(s\) of atelier\/oracle/);
    expect((await cli(['models', 'path', 'atelier/oracle'])).code).toBe(1);
  });

  it('a gated repo without a token fails with what to do; offline mode says the model is missing', async () => {
    const gated = await cli(['models', 'pull', 'atelier/oracle'], { HF_TOKEN: '', HF_HOME: mkdtempSync(path.join(os.tmpdir(), 'hfhome-')) });
    expect(gated.code).toBe(1);
    expect(gated.stderr).toContain('Accept its licence at');
    const offline = await cli(['models', 'pull', 'atelier/oracle@v2'], { HF_HUB_OFFLINE: '1' });
    expect(offline.code).toBe(1);
    expect(offline.stderr).toMatch(/offline mode \(HF_HUB_OFFLINE\) is on/i);
  });

  it('bad repo ids are usage errors', async () => {
    const r = await cli(['models', 'pull', '../../etc/passwd']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('repo id must look like "org/name"');
  });
});
