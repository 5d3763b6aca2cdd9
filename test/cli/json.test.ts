/** --json: one object on stdout for scripts and agents, errors included. */
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';

const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-json-'));

describe('--json', () => {
  it('generate prints the file and its parameters as one JSON object; upscale too', async () => {
    const dir = temp();
    const out = path.join(dir, 'fox.png');
    const r = await runCli(['generate', 'a fox', '--out', out, '--seed', '3', '--steps', '2', '--width', '64', '--height', '64', '--json', '--recipe']);
    expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(data).toMatchObject({ file: out, width: 64, height: 64, seed: 3, steps: 2, provider: 'cpu', recipe: path.join(dir, 'fox.atelier.json') });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const up = await runCli(['upscale', out, '--scale', '2', '--json']);
    expect(up.code, up.stderr).toBe(0);
    const upData = JSON.parse(up.stdout) as { file: string; width: number; scale: number };
    expect(upData).toMatchObject({ width: 128, height: 128, scale: 2 });
    expect(statSync(upData.file).size).toBeGreaterThan(0);
  });

  it('errors come as {"error": {code, message}} on stdout with the usual exit code', async () => {
    const bad = await runCli(['generate', 'x', '--steps', '0', '--out', path.join(temp(), 'x.png'), '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toEqual({ error: { code: 'INVALID_INPUT', message: expect.stringContaining('steps must be a whole number from 1 to 1000'), argument: 'steps' } });
    const usage = await runCli(['generate', '--json']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout).error.code).toBe('USAGE');
  });

  it('models list --json lists the cache and the catalogue', async () => {
    const r = await runCli(['models', 'list', '--json'], { HF_HUB_CACHE: temp() });
    expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout) as { cached: unknown[]; catalogue: { repo: string }[] };
    expect(data.cached).toEqual([]);
    expect(data.catalogue.length).toBeGreaterThan(0);
    expect((await runCli(['models', 'path', 'a/b', '--json'])).code).toBe(2);
  });
});
