/** Model manager in a real VS Code: download by repo id from a local Hub, use it, generate. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { oracleModel } from '../helpers/fixtures';
import { GOOD_TOKEN, startHub, type TestHub } from '../helpers/hubServer';
import { startSandbox, type Sandbox } from './harness/codeServer';
import { answerQuickInput, launchBrowser, openWorkbench, runCommand, toasts, waitFor } from './harness/workbench';

const VSIX = path.resolve(process.env.ATELIER_VSIX ?? 'atelier-linux-x64.vsix');
let browser: Browser;
let hub: TestHub;
let sandbox: Sandbox | undefined;
let page: Page | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
  hub = await startHub([{ repo: 'atelier/oracle', commits: { ['d'.repeat(40)]: oracleModel() }, refs: { main: 'd'.repeat(40) }, gated: true }]);
});
afterAll(async () => {
  await browser?.close();
  await hub?.close();
});
afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && page) {
    const dir = path.resolve('test-results', 'e2e');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, 'models.png') }).catch(() => undefined);
    if (sandbox) writeFileSync(path.join(dir, 'models.code-server.log'), sandbox.output());
  }
  await page?.close().catch(() => undefined);
  await sandbox?.stop();
});

describe('Atelier model manager in a real VS Code', () => {
  it('7. Manage Models → download by repo id (progress) → Use It → Generate Image works with it', async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'atelier-e2e-hf-'));
    sandbox = await startSandbox({
      vsix: VSIX,
      trust: false,
      userSettings: { 'atelier.steps': 4, 'atelier.width': 64, 'atelier.height': 64 },
      env: { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: cache, HF_TOKEN: GOOD_TOKEN },
    });
    page = await openWorkbench(browser, sandbox.url);
    await runCommand(page, 'Atelier: Manage Models');
    // The list is long (installed models, the catalogue, ControlNets) and virtualised: filter it as a user would.
    await page.locator('.quick-input-widget input').fill('Download by repo id');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Download by repo id' }).first().click();
    await answerQuickInput(page, 'atelier/oracle');
    const useIt = toasts(page, /Downloaded atelier\/oracle/).first();
    await useIt.waitFor({ timeout: 60_000 });
    expect(existsSync(path.join(cache, 'models--atelier--oracle', 'refs', 'main'))).toBe(true);
    await useIt.locator('.monaco-button', { hasText: 'Use It' }).click();
    await new Promise((r) => setTimeout(r, 1000));
    await runCommand(page, 'Atelier: Generate Image');
    await answerQuickInput(page, 'from the hub');
    const out = path.join(sandbox.workspace, 'assets', 'generated');
    await waitFor(() => (existsSync(out) ? readdirSync(out).find((f) => f.endsWith('.png')) : undefined), 60_000, 'a PNG generated from the downloaded model');
    // The token went to the Hub only.
    expect(hub.requests.filter((r) => r.host === 'cdn').every((r) => r.authorization === undefined)).toBe(true);
  });
});
