/**
 * Missing images in a real VS Code (code-server + Chromium, the packaged VSIX): a Markdown file refers to
 * an image that does not exist; Atelier marks it, and its quick fix generates the file at that path with
 * the alt text as the prompt. Once the file exists, the mark goes away.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tinyModel } from '../helpers/fixtures';
import { readTextChunks } from '../../src/host/output/pngText';
import { parseParameters } from '../../src/host/output/parameters';
import { startSandbox, type Sandbox } from './harness/codeServer';
import { saveFailure } from './harness/failures';
import { launchBrowser, openFile, openWorkbench, waitFor } from './harness/workbench';

const VSIX = path.resolve(process.env.ATELIER_VSIX ?? 'atelier-linux-x64.vsix');

let browser: Browser;
let sandbox: Sandbox;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  sandbox = await startSandbox({
    vsix: VSIX,
    trust: false,
    userSettings: { 'atelier.modelPath': tinyModel(), 'atelier.steps': 2, 'atelier.width': 128, 'atelier.height': 128, 'atelier.sampler': 'euler' },
    prepare: (workspace) => {
      mkdirSync(path.join(workspace, 'docs'), { recursive: true });
      writeFileSync(path.join(workspace, 'docs', 'guide.md'), '# Our product\n\nIt flies.\n\n![A red kite over the sea](img/kite.png)\n\n![remote](https://example.com/x.png)\n');
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

describe('a Markdown file that refers to a missing image', () => {
  it('is marked; the quick fix generates the image at that path from the alt text; then the mark is gone', async () => {
    await openFile(page, 'docs/guide.md');
    const marks = page.locator('.monaco-editor .squiggly-info');
    // One mark: the local missing image, not the remote one.
    await expect.poll(() => marks.count(), { timeout: 30_000 }).toBe(1);

    // Ctrl+. on the marked path; a loaded machine can swallow the first press, so ask again until the menu shows.
    const fix = page.locator('.action-widget .monaco-list-row', { hasText: 'Generate image for kite.png with Atelier' });
    const deadline = Date.now() + 60_000;
    for (;;) {
      await page.keyboard.press('Escape');
      await page.locator('.monaco-editor .view-line', { hasText: 'img/kite.png' }).first().click();
      await page.keyboard.press('End');
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('Control+.');
      const shown = await fix.waitFor({ timeout: 5000 }).then(() => true, () => false);
      if (shown) break;
      if (Date.now() > deadline) throw new Error('the quick fix menu never showed "Generate image for kite.png with Atelier"');
    }
    await fix.click();

    // The prompt box comes prefilled with the alt text; Enter accepts it.
    const input = page.locator('.quick-input-widget input');
    await expect.poll(() => input.inputValue(), { timeout: 30_000 }).toBe('A red kite over the sea');
    await page.keyboard.press('Enter');

    const file = path.join(sandbox.workspace, 'docs', 'img', 'kite.png');
    await waitFor(() => (existsSync(file) ? file : undefined), 120_000, 'docs/img/kite.png');
    const params = parseParameters(readTextChunks(readFileSync(file)).get('parameters') ?? '');
    expect(params.prompt).toBe('A red kite over the sea');
    await expect.poll(() => marks.count(), { timeout: 30_000 }).toBe(0);
  });
});
