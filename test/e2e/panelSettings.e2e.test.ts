/**
 * The side panel at VS Code's default size (code-server + Chromium, the packaged VSIX): nothing
 * scrolls sideways, the seed box shows all ten digits, progress and the result appear without
 * scrolling, the result opens as the palette's does, and the panel, the palette and the canvas use
 * one set of generation values (the atelier.* settings).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseParameters } from '../../src/host/output/parameters';
import { readTextChunks } from '../../src/host/output/pngText';
import { tinyModel } from '../helpers/fixtures';
import { startSandbox, type Sandbox } from './harness/codeServer';
import { saveFailure } from './harness/failures';
import { openAtelierPanel } from './harness/webviews';
import { answerQuickInput, launchBrowser, openWorkbench, runCommand, waitFor } from './harness/workbench';

const VSIX = path.resolve(process.env.ATELIER_VSIX ?? 'atelier-linux-x64.vsix');
const SCREENSHOTS = process.env.ATELIER_SCREENSHOTS;

let browser: Browser;
let sandbox: Sandbox;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  sandbox = await startSandbox({
    vsix: VSIX,
    trust: false,
    userSettings: { 'atelier.modelPath': tinyModel(), 'atelier.steps': 40, 'atelier.sampler': 'euler', 'atelier.previewEvery': 5, 'workbench.colorTheme': 'Default Dark Modern' },
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


/** Sets a number field of the panel as a user does: type, then leave the field. */
async function setField(f: Frame, name: string, value: string): Promise<void> {
  const input = f.locator(`vscode-textfield[data-name="${name}"] input`);
  await input.fill(value);
  await input.press('Tab');
}

/** The user settings as code-server keeps them on disk (the panel's changes land there). */
function userSettingsFile(): string {
  return path.join(sandbox.userDataDir, 'User', 'settings.json');
}
function userSetting(key: string): unknown {
  return (JSON.parse(readFileSync(userSettingsFile(), 'utf8')) as Record<string, unknown>)[key];
}

const pngs = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.png')) : []);

describe('the side panel at the default size', () => {
  it('no sideways scrolling; ten-digit seeds fit; progress and result show without scrolling; the result opens like the palette\'s', async () => {
    const f = await openAtelierPanel(page);
    await f.locator('vscode-button[data-name="generate"]').waitFor();
    const overflow = (): Promise<number> => f.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);

    await f.locator('vscode-single-select[data-name="seedMode"]').evaluate((el: HTMLElement & { value: string }) => {
      el.value = 'fixed';
      el.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await setField(f, 'seed', '3757315925');
    const seed = f.locator('vscode-textfield[data-name="seed"] input');
    expect(await seed.inputValue()).toBe('3757315925');
    expect(await seed.evaluate((el: HTMLInputElement) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);

    await f.locator('vscode-textarea[data-name="prompt"] textarea').fill('a lighthouse on a cliff');
    await f.locator('vscode-button[data-name="generate"]').click();
    const viewportHeight = await f.evaluate(() => window.innerHeight);
    const progress = f.locator('[data-name="progress"]');
    await expect.poll(() => progress.textContent(), { timeout: 30_000 }).toMatch(/Step \d+\/40/);
    const progressBox = await progress.evaluate((el) => el.getBoundingClientRect().toJSON() as DOMRect);
    expect(progressBox.bottom).toBeLessThanOrEqual(viewportHeight);
    await f.locator('canvas.preview:not([hidden])').waitFor({ timeout: 30_000 });
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, 'side-panel.png') });

    const out = path.join(sandbox.workspace, 'assets', 'generated');
    const file = await waitFor(() => pngs(out)[0], 120_000, 'the PNG from the panel');
    await expect.poll(() => f.locator('[data-name="status"]').textContent(), { timeout: 30_000 }).toMatch(/Done in/);
    // The result and the status line are on screen without scrolling the panel.
    const result = await f.locator('img.result').evaluate((el) => el.getBoundingClientRect().toJSON() as DOMRect);
    expect(result.top).toBeLessThan(viewportHeight / 2);
    const status = await f.locator('[data-name="status"]').evaluate((el) => el.getBoundingClientRect().toJSON() as DOMRect);
    expect(status.bottom).toBeLessThanOrEqual(viewportHeight);
    // Opened beside, as "Generate Image" opens its result.
    await page.locator('.tabs-container .tab', { hasText: file }).first().waitFor({ timeout: 30_000 });
    expect(await overflow()).toBeLessThanOrEqual(0);
  });

  it('the panel and the palette share the generation values: a change in one is what the other uses and shows', async () => {
    // A retry starts from the same settings as the first try: steps 40 in the user settings, none in the workspace.
    rmSync(path.join(sandbox.workspace, '.vscode', 'settings.json'), { force: true });
    if (userSetting('atelier.steps') !== 40) {
      writeFileSync(userSettingsFile(), JSON.stringify({ ...(JSON.parse(readFileSync(userSettingsFile(), 'utf8')) as object), 'atelier.steps': 40 }, null, 2));
    }
    const f = await openAtelierPanel(page);
    // The panel shows the settings' values, not its own.
    await expect.poll(() => f.locator('vscode-textfield[data-name="steps"] input').inputValue(), { timeout: 15_000 }).toBe('40');
    await setField(f, 'steps', '9');
    // The panel's change is a settings write; the palette reads it once it has landed.
    await expect.poll(() => userSetting('atelier.steps'), { timeout: 30_000 }).toBe(9);
    // The palette shows the values it will use, and uses the panel's change.
    await page.keyboard.press('Escape');
    await runCommand(page, 'Atelier: Generate Image');
    await page.locator('.quick-input-widget', { hasText: /9 steps/ }).waitFor({ timeout: 30_000 });
    await answerQuickInput(page, 'from the palette');
    const out = path.join(sandbox.workspace, 'assets', 'generated');
    const file = await waitFor(() => pngs(out).find((n) => n.startsWith('from-the-palette')), 120_000, 'the PNG from the palette');
    const params = parseParameters(readTextChunks(readFileSync(path.join(out, file))).get('parameters') ?? '');
    expect(params.steps).toBe(9);
    // A change made in the settings (here the workspace's settings.json) shows in the panel.
    mkdirSync(path.join(sandbox.workspace, '.vscode'), { recursive: true });
    writeFileSync(path.join(sandbox.workspace, '.vscode', 'settings.json'), JSON.stringify({ 'atelier.steps': 5 }));
    // (The workspace file watcher can take a while on a loaded machine.)
    await expect.poll(() => f.locator('vscode-textfield[data-name="steps"] input').inputValue(), { timeout: 60_000 }).toBe('5');
  });
});
