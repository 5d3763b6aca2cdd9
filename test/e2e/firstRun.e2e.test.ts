/**
 * First contact in a real VS Code (code-server + Chromium, the packaged VSIX): the help behind every
 * model error opens, and the side panel and the palette ask the same question when no model is set,
 * with choices a user can read in full. The demo model is stored as a marker, not as a path into the
 * versioned extension folder.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tinyModel } from '../helpers/fixtures';
import { startSandbox, type Sandbox } from './harness/codeServer';
import { saveFailure } from './harness/failures';
import { openAtelierPanel, webviewFrame } from './harness/webviews';
import { launchBrowser, openWorkbench, runCommand, toasts, waitFor } from './harness/workbench';

const VSIX = path.resolve(process.env.ATELIER_VSIX ?? 'atelier-linux-x64.vsix');

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
  if (context.task.result?.state === 'fail') await saveFailure(context.task.name, page, sandbox);
  await page?.close().catch(() => undefined);
  await sandbox?.stop();
  page = undefined;
  sandbox = undefined;
});

async function open(settings: Record<string, unknown>): Promise<{ sandbox: Sandbox; page: Page }> {
  sandbox = await startSandbox({ vsix: VSIX, trust: false, userSettings: settings });
  page = await openWorkbench(browser, sandbox.url);
  await page.locator('.activitybar [aria-label^="Atelier"]').first().waitFor({ timeout: 60_000 });
  return { sandbox, page };
}


/** Every `atelier.modelPath` value written to the user or remote-machine settings. */
function storedModelPaths(sb: Sandbox): string[] {
  return ['User', 'Machine'].flatMap((scope) => {
    const file = path.join(sb.userDataDir, scope, 'settings.json');
    if (!existsSync(file)) return [];
    const value = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)['atelier.modelPath'];
    return typeof value === 'string' ? [value] : [];
  });
}

const FIRST_RUN_TITLE = /Atelier needs a Stable Diffusion model/;

describe('first run in a real VS Code', () => {
  it('"How to get a model" on a model error opens the README section from the packaged VSIX', async () => {
    // An incomplete model: the UNet is missing, so Generate fails with the model-error notification.
    const broken = path.join(mkdtempSync(path.join(os.tmpdir(), 'atelier-e2e-broken-')), 'model');
    cpSync(tinyModel(), broken, { recursive: true });
    rmSync(path.join(broken, 'unet'), { recursive: true });
    const { page: p } = await open({ 'atelier.modelPath': broken, 'atelier.steps': 2, 'atelier.width': 64, 'atelier.height': 64 });
    await runCommand(p, 'Atelier: Generate Image');
    await p.locator('.quick-input-widget input').fill('a model error');
    await p.keyboard.press('Enter');
    const error = toasts(p, /Atelier:.*unet/i).first();
    await error.waitFor({ timeout: 60_000 });
    await error.locator('.monaco-button', { hasText: 'How to get a model' }).click();
    // The Markdown preview of the packaged readme, scrolled to the section; no "cannot be found".
    await p.locator('.tabs-container .tab', { hasText: /Preview readme\.md/i }).first().waitFor({ timeout: 30_000 });
    const preview = await webviewFrame(p, 'h2#how-to-get-a-model', 30_000);
    expect(await preview.locator('h2#how-to-get-a-model').textContent()).toBe('How to get a model');
    expect(await toasts(p, /cannot be found|Unable to open/i).count()).toBe(0);
  });

  it('with no model, the side panel asks the same question as the palette, with every choice readable; the demo is stored as a marker', async () => {
    const { sandbox: sb, page: p } = await open({ 'atelier.steps': 2, 'atelier.width': 64, 'atelier.height': 64 });
    // The palette first: a quick pick whose choices are shown in full (not "Download Stable Diffusi…").
    await runCommand(p, 'Atelier: Generate Image');
    const question = p.locator('.quick-input-widget', { hasText: FIRST_RUN_TITLE });
    await question.waitFor({ timeout: 30_000 });
    const rows = question.locator('.monaco-list-row');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    const labels = await rows.locator('.label-name').evaluateAll((els) => els.map((e) => ({ text: e.textContent ?? '', clipped: e.scrollWidth > e.clientWidth + 1 })));
    expect(labels.map((l) => l.text).join(' | ')).toMatch(/Download .*Choose Model Folder.*Use the Built-in Demo Model.*How to Get a Model/);
    expect(labels.filter((l) => l.clipped)).toEqual([]);
    await p.keyboard.press('Escape');
    await question.waitFor({ state: 'hidden', timeout: 10_000 });

    // The side panel: Generate asks the same question instead of using the demo model silently.
    const f = await openAtelierPanel(p);
    await f.locator('vscode-textarea[data-name="prompt"] textarea').fill('a first image');
    await f.locator('vscode-button[data-name="generate"]').click();
    await question.waitFor({ timeout: 30_000 });
    expect(readdirSync(sb.workspace)).not.toContain('assets');
    await question.locator('.monaco-list-row', { hasText: 'Use the Built-in Demo Model' }).first().click();
    // The choice is a marker that survives updates, and the generation goes on with it.
    await waitFor(() => (storedModelPaths(sb).length > 0 ? true : undefined), 15_000, 'atelier.modelPath to be written');
    expect(storedModelPaths(sb)).toEqual(['builtin:demo']);
    const out = path.join(sb.workspace, 'assets', 'generated');
    await waitFor(() => (existsSync(out) ? readdirSync(out).find((f) => f.endsWith('.png')) : undefined), 60_000, 'the PNG made with the demo model');
  });
});
