/**
 * The canvas in a real VS Code (code-server + Chromium, the packaged VSIX), on a real photo (a
 * hibiscus from an npm package, no person in it): the sidebar fits at the default size and shows the
 * generation values; a failed Generate leaves the button usable while the error is still shown;
 * Select person on a photo with no one in it says so and writes nothing; and closing unsaved edits
 * asks about the layers, which is what Save writes.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tinyModel } from '../helpers/fixtures';
import { startSandbox, type Sandbox } from './harness/codeServer';
import { saveFailure } from './harness/failures';
import { addFlowerPhoto, openImageInCanvas } from './harness/webviews';
import { launchBrowser, openWorkbench, runCommand, toasts } from './harness/workbench';

const VSIX = path.resolve(process.env.ATELIER_VSIX ?? 'atelier-linux-x64.vsix');

let browser: Browser;
let sandbox: Sandbox;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  // A model whose UNet is missing: every Generate fails with a model error.
  const broken = path.join(mkdtempSync(path.join(os.tmpdir(), 'atelier-e2e-broken-')), 'model');
  cpSync(tinyModel(), broken, { recursive: true });
  rmSync(path.join(broken, 'unet'), { recursive: true });
  sandbox = await startSandbox({
    vsix: VSIX,
    trust: false,
    userSettings: { 'atelier.modelPath': broken, 'atelier.steps': 7, 'atelier.sampler': 'euler', 'workbench.colorTheme': 'Default Dark Modern' },
    prepare: addFlowerPhoto,
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

const canvas = (): Promise<Frame> => openImageInCanvas(page, 'photos/flower.png');

describe('the canvas in a real VS Code', () => {
  it('the sidebar fits at the default size (nothing clipped) and shows the values Generate will use', async () => {
    const c = await canvas();
    const sidebar = c.locator('aside.sidebar');
    expect(await sidebar.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
    const clipped = await c.locator('.slider output').evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > (e.closest('aside')?.getBoundingClientRect().right ?? Infinity)).map((e) => e.textContent));
    expect(clipped).toEqual([]);
    // The shared generation settings, where the canvas generates.
    await expect.poll(() => c.locator('[data-name="generation-summary"]').textContent(), { timeout: 15_000 }).toMatch(/7 steps · Euler · guidance 7\.5/);
  });

  it('a failed Generate leaves the button usable while the error is still on screen', async () => {
    const c = await canvas();
    await c.locator('vscode-textarea[data-name="prompt"] textarea').fill('a bee on the flower');
    const generate = c.locator('vscode-button[data-action="generate"]');
    await generate.click();
    const error = toasts(page, /Atelier:/).first();
    await error.waitFor({ timeout: 60_000 });
    // The toast is still open: the button is back to "Generate" and enabled.
    await expect.poll(() => generate.textContent(), { timeout: 10_000 }).toBe('Generate');
    expect(await generate.getAttribute('disabled')).toBeNull();
    expect(await error.isVisible()).toBe(true);
    await runCommand(page, 'Notifications: Clear All Notifications');
  });

  it('Select person on a photo with no one in it says so, and saving writes no mask file', async () => {
    const c = await canvas();
    await c.locator('vscode-button[data-action="layer-mask"]').click();
    await c.locator('vscode-button[data-action="select-person"]').click();
    await expect.poll(() => c.locator('.status-text').textContent(), { timeout: 120_000 }).toMatch(/^No one was found/);
    await runCommand(page, 'File: Save');
    await page.waitForTimeout(1000);
    expect(readdirSync(path.join(sandbox.workspace, 'photos'))).toEqual(['flower.png']);
  });

  it('closing unsaved edits asks about the layers (what Save writes), not the photo', async () => {
    const c = await canvas();
    await c.locator('vscode-button[data-action="layer-mask"]').click();
    const base = c.locator('canvas.layer-base');
    const box = await base.boundingBox();
    if (!box) throw new Error('the canvas is not visible');
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.5, { steps: 8 });
    await page.mouse.up();
    const tab = page.locator('.tabs-container .tab.dirty', { hasText: 'flower.png' }).first();
    await tab.waitFor({ timeout: 15_000 });
    expect(await tab.textContent()).toContain('flower.png (layers)');
    await tab.locator('.tab-actions .action-label').first().click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15_000 });
    expect(await dialog.locator('.dialog-message-text').textContent()).toBe('Do you want to save the changes you made to flower.png (layers)?');
    await dialog.locator('.monaco-button', { hasText: "Don't Save" }).click();
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
    expect(existsSync(path.join(sandbox.workspace, 'photos', 'flower.mask.png'))).toBe(false);
  });
});
