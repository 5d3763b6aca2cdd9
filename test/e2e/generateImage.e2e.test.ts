/**
 * Atelier in a real VS Code (code-server + Chromium): the command palette flow, cancel, a worker
 * killed from outside, and Restricted Mode. Screenshots and the code-server log go to
 * test-results/e2e/ when a scenario fails.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readTextChunks } from '../../src/host/output/pngText';
import { parseParameters } from '../../src/host/output/parameters';
import { oracleModel, tinyModel } from '../helpers/fixtures';
import { startSandbox, type Sandbox, type SandboxOptions } from './harness/codeServer';
import { answerQuickInput, launchBrowser, openWorkbench, runCommand, toasts, waitFor } from './harness/workbench';

const VSIX = path.resolve(process.env.ATELIER_VSIX ?? 'atelier-linux-x64.vsix');
const RESULTS = path.resolve('test-results', 'e2e');

let browser: Browser;
let sandbox: Sandbox | undefined;
let page: Page | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async (context) => {
  if (context.task.result?.state === 'fail') {
    mkdirSync(RESULTS, { recursive: true });
    const name = context.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await page?.screenshot({ path: path.join(RESULTS, `${name}.png`) }).catch(() => undefined);
    if (sandbox) {
      writeFileSync(path.join(RESULTS, `${name}.code-server.log`), sandbox.output());
      const logs = path.join(sandbox.userDataDir, 'logs');
      if (existsSync(logs)) cpSync(logs, path.join(RESULTS, `${name}-logs`), { recursive: true });
    }
  }
  await page?.close().catch(() => undefined);
  await sandbox?.stop();
  page = undefined;
  sandbox = undefined;
});

async function open(settings: Record<string, unknown>, options: Partial<SandboxOptions> = {}): Promise<{ sandbox: Sandbox; page: Page }> {
  sandbox = await startSandbox({ vsix: VSIX, trust: false, userSettings: settings, ...options });
  page = await openWorkbench(browser, sandbox.url);
  return { sandbox, page };
}

function pngsIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.png')) : [];
}

const slowSettings = (steps: number): Record<string, unknown> => ({ 'atelier.modelPath': tinyModel(), 'atelier.steps': steps, 'atelier.width': 512, 'atelier.height': 512, 'atelier.sampler': 'euler' });

describe('Atelier in a real VS Code', () => {
  it('1. palette → Generate Image → progress → PNG in assets/generated, opened, with the prompt in its metadata', async () => {
    const { sandbox: sb, page: p } = await open(slowSettings(60));
    await runCommand(p, 'Atelier: Generate Image');
    await answerQuickInput(p, 'a lighthouse at dusk, oil painting');
    await toasts(p, /Step \d+\/60|Loading model|Reading the prompt/).first().waitFor({ timeout: 30_000 });
    const out = path.join(sb.workspace, 'assets', 'generated');
    const file = await waitFor(() => pngsIn(out)[0], 60_000, 'the PNG');
    await p.locator('.tabs-container .tab', { hasText: file }).first().waitFor({ timeout: 30_000 });
    const params = parseParameters(readTextChunks(readFileSync(path.join(out, file))).get('parameters') ?? '');
    expect(params.prompt).toBe('a lighthouse at dusk, oil painting');
    expect(params.steps).toBe(60);
  });

  it('2. cancel during generation leaves no file and no stuck progress', async () => {
    const { sandbox: sb, page: p } = await open(slowSettings(1000));
    await runCommand(p, 'Atelier: Generate Image');
    await answerQuickInput(p, 'a slow one');
    const toast = toasts(p, /Step \d+\/1000/).first();
    await toast.waitFor({ timeout: 30_000 });
    await toast.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await toasts(p, /Step \d+\/1000/).first().waitFor({ state: 'detached', timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 2000));
    expect(pngsIn(path.join(sb.workspace, 'assets', 'generated'))).toEqual([]);
    expect(await toasts(p, /Step \d+/).count()).toBe(0);
  });

  it('5. a worker killed from outside gives one clear error, and the next Generate works', async () => {
    const { sandbox: sb, page: p } = await open(slowSettings(1000));
    await runCommand(p, 'Atelier: Generate Image');
    await answerQuickInput(p, 'doomed');
    await toasts(p, /Step \d+\/1000/).first().waitFor({ timeout: 30_000 });
    const pids = execFileSync('pgrep', ['-f', `${sb.extensionsDir}.*pipeline-worker.js`]).toString().trim().split('\n');
    expect(pids).toHaveLength(1);
    process.kill(Number(pids[0]), 'SIGKILL');
    await toasts(p, /killed \(SIGKILL\)/).first().waitFor({ timeout: 15_000 });
    expect(await toasts(p, /Atelier:/).count()).toBe(1);
    expect(await toasts(p, /Step \d+/).count()).toBe(0);
    // Make the next job quick with a workspace setting (the workspace file watcher sees the edit).
    mkdirSync(path.join(sb.workspace, '.vscode'), { recursive: true });
    writeFileSync(path.join(sb.workspace, '.vscode', 'settings.json'), JSON.stringify({ 'atelier.steps': 10 }));
    await new Promise((r) => setTimeout(r, 2000));
    await p.keyboard.press('Escape');
    await runCommand(p, 'Atelier: Generate Image');
    await answerQuickInput(p, 'after the crash');
    const file = await waitFor(() => pngsIn(path.join(sb.workspace, 'assets', 'generated'))[0], 60_000, 'the PNG after a crash');
    expect(file).toMatch(/^after-the-crash-\d+\.png$/);
  });

  it('6. Restricted Mode: a model inside the untrusted workspace is not loaded', async () => {
    // The model sits inside the (untrusted) workspace; the user setting names it by absolute path.
    const { sandbox: sb, page: p } = await open(
      { 'atelier.steps': 4, 'atelier.width': 64, 'atelier.height': 64 },
      {
        trust: true,
        prepare: (workspace) => {
          cpSync(oracleModel(), path.join(workspace, 'models', 'sd'), { recursive: true });
          return { 'atelier.modelPath': path.join(workspace, 'models', 'sd') };
        },
      },
    );
    await p.locator('.statusbar', { hasText: 'Restricted Mode' }).waitFor({ timeout: 30_000 });
    await runCommand(p, 'Atelier: Generate Image');
    await toasts(p, /Restricted Mode/).first().waitFor({ timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 1000));
    expect(pngsIn(path.join(sb.workspace, 'assets', 'generated'))).toEqual([]);
  });

  it('6b. Restricted Mode: a model configured in user settings and kept outside the workspace still works', async () => {
    const { sandbox: sb, page: p } = await open({ 'atelier.modelPath': oracleModel(), 'atelier.steps': 4, 'atelier.width': 64, 'atelier.height': 64 }, { trust: true });
    await p.locator('.statusbar', { hasText: 'Restricted Mode' }).waitFor({ timeout: 30_000 });
    await runCommand(p, 'Atelier: Generate Image');
    await answerQuickInput(p, 'allowed');
    await waitFor(() => pngsIn(path.join(sb.workspace, 'assets', 'generated'))[0], 60_000, 'the PNG in Restricted Mode');
  });
});
