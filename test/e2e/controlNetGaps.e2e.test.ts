/**
 * A ControlNet path with a piece missing, in a real VS Code (code-server + Chromium, the packaged
 * VSIX): the error says exactly what is missing and its button gets it, or says plainly why the
 * catalogue's build cannot run here (this machine has only the CPU provider; the catalogue's SD 1.5
 * ControlNet set is a DirectML build). Never "The model is incomplete" with Choose Model Folder.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeControlNetFolder } from '../fixtures/onnx/modelFolder';
import { tinyModel } from '../helpers/fixtures';
import { startSandbox, type Sandbox } from './harness/codeServer';
import { saveFailure } from './harness/failures';
import { addFlowerPhoto, openImageInCanvas } from './harness/webviews';
import { launchBrowser, openWorkbench, toasts } from './harness/workbench';

const VSIX = path.resolve(process.env.ATELIER_VSIX ?? 'atelier-linux-x64.vsix');

let browser: Browser;
let sandbox: Sandbox;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  // A model with the ControlNet UNet (layout c), and no ControlNet installed.
  sandbox = await startSandbox({
    vsix: VSIX,
    trust: false,
    userSettings: { 'atelier.modelPath': tinyModel({ control: 'separate', vaeEncoder: 'latent_sample' }), 'atelier.steps': 2 },
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

async function generateWithPose(): Promise<Frame> {
  const c = await openImageInCanvas(page, 'photos/flower.png');
  await c.locator('vscode-button[data-action="layer-pose"]').click();
  if ((await c.locator('vscode-button[data-action="Delete person"][disabled]').count()) > 0) await c.locator('vscode-button[data-action="Add person"]').click();
  const control = c.locator('vscode-checkbox[data-name="control-pose"]');
  if ((await control.getAttribute('checked')) === null) await control.click();
  await c.locator('vscode-textarea[data-name="prompt"] textarea').fill('a dancer among the petals');
  await c.locator('vscode-button[data-action="generate"]').click();
  return c;
}

/** Rewrites one value of the (remote) machine settings, where machine-scoped settings live. */
function setMachineSetting(key: string, value: unknown): void {
  const file = path.join(sandbox.userDataDir, 'Machine', 'settings.json');
  const settings = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...settings, [key]: value }, null, 2));
}

describe('a ControlNet with a piece missing', () => {
  it('no OpenPose ControlNet installed: the error names it and its button gets it (here: says the catalogue build does not run on this CPU-only machine)', async () => {
    await generateWithPose();
    const error = toasts(page, /No OpenPose ControlNet is installed/).first();
    await error.waitFor({ timeout: 60_000 });
    expect(await error.textContent()).not.toContain('The model is incomplete');
    expect(await error.locator('.monaco-button', { hasText: 'Choose Model Folder' }).count()).toBe(0);
    await error.locator('.monaco-button', { hasText: 'Get OpenPose ControlNet…' }).click();
    const answer = toasts(page, /runs on dml only, and this machine offers cpu/).first();
    await answer.waitFor({ timeout: 15_000 });
    expect(await answer.textContent()).toContain('ControlNet SD 1.5 OpenPose');
  });

  it('a model without the ControlNet UNet: the error says so and offers a model that has one', async () => {
    const controlNets = mkdtempSync(path.join(os.tmpdir(), 'atelier-e2e-cn-'));
    writeControlNetFolder(path.join(controlNets, 'OpenPose'), { family: 'tiny-random' });
    setMachineSetting('atelier.modelPath', tinyModel({ vaeEncoder: 'latent_sample' }));
    setMachineSetting('atelier.controlNetFolders', [controlNets]);
    const userFile = path.join(sandbox.userDataDir, 'User', 'settings.json');
    writeFileSync(userFile, JSON.stringify({ ...(JSON.parse(readFileSync(userFile, 'utf8')) as Record<string, unknown>), 'atelier.controlNetFolders': [controlNets] }, null, 2));
    await page.waitForTimeout(2000);
    await page.keyboard.press('Escape');
    await generateWithPose();
    const error = toasts(page, /This model cannot run separate ControlNets/).first();
    await error.waitFor({ timeout: 60_000 });
    expect(await error.textContent()).toContain('controlnet/model.onnx');
    await error.locator('.monaco-button', { hasText: 'Get a Model with a ControlNet UNet…' }).click();
    await toasts(page, /models with a ControlNet UNet .*runs on dml only/).first().waitFor({ timeout: 15_000 });
  });
});
