/**
 * Recipes in a real VS Code (code-server + Chromium, the packaged VSIX): a hand-written recipe shows
 * "Generate ▸" above it; clicking it builds the image and its derived files and records them in
 * atelier.lock.json; the lens then says "Up to date ✓", and "Stale ⟳" once the prompt changes on disk.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from './harness/codeServer';
import { saveFailure } from './harness/failures';
import { launchBrowser, openFile, openWorkbench, waitFor } from './harness/workbench';

const VSIX = path.resolve(process.env.ATELIER_VSIX ?? 'atelier-linux-x64.vsix');
const recipe = (prompt: string): string => `${JSON.stringify({ version: 1, model: { builtin: 'demo' }, prompt, steps: 2, seed: 5, width: 64, height: 64, outputs: { sizes: ['@1x', '@2x'] } }, null, 2)}\n`;

let browser: Browser;
let sandbox: Sandbox;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  sandbox = await startSandbox({
    vsix: VSIX,
    trust: false,
    userSettings: {},
    prepare: (workspace) => {
      mkdirSync(path.join(workspace, 'assets'), { recursive: true });
      writeFileSync(path.join(workspace, 'assets', 'hero.atelier.json'), recipe('a lighthouse at dusk'));
      return {};
    },
  });
  page = await openWorkbench(browser, sandbox.url);
});
afterAll(async () => {
  await page?.close().catch(() => undefined);
  await sandbox?.stop();
  await browser?.close();
});
afterEach(async (context) => {
  if (context.task.result?.state === 'fail') await saveFailure(context.task.name, page, sandbox);
});

describe('a recipe file', () => {
  it('its CodeLens builds the image, then says up to date, then stale when the prompt changes', async () => {
    await openFile(page, 'assets/hero.atelier.json');
    const lens = (text: string) => page.locator('.monaco-editor .codelens-decoration a', { hasText: text });
    await lens('Generate ▸').waitFor({ timeout: 60_000 });
    await lens('Generate ▸').click();

    const image = path.join(sandbox.workspace, 'assets', 'hero.png');
    const lock = path.join(sandbox.workspace, 'atelier.lock.json');
    await waitFor(() => (existsSync(lock) ? lock : undefined), 120_000, 'atelier.lock.json');
    expect(existsSync(image)).toBe(true);
    expect(existsSync(path.join(sandbox.workspace, 'assets', 'hero@1x.png'))).toBe(true);
    const entry = JSON.parse(readFileSync(lock, 'utf8')).outputs['assets/hero.png'];
    expect(entry).toMatchObject({ recipe: 'assets/hero.atelier.json', backend: 'local' });
    expect(Object.keys(entry.files).sort()).toEqual(['assets/hero.png', 'assets/hero@1x.png', 'assets/hero@2x.png']);
    await lens('Up to date ✓').waitFor({ timeout: 60_000 });

    writeFileSync(path.join(sandbox.workspace, 'assets', 'hero.atelier.json'), recipe('a lighthouse at dawn'));
    await lens('Stale ⟳').waitFor({ timeout: 60_000 });
  });
});
