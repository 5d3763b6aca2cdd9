/**
 * Atelier on a ComfyUI server, in a real VS Code (code-server + Chromium), against the loopback test
 * double: the status bar names the server and its device, Generate Image asks for a checkpoint from
 * the server's list and shows the server's progress, Cancel interrupts the server's job, the side
 * panel shows the server's live previews, and a canvas inpaint keeps every pixel outside the mask.
 * Each saved file's metadata names the backend.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseParameters } from '../../src/host/output/parameters';
import { readTextChunks } from '../../src/host/output/pngText';
import { startComfyServer, type ComfyDouble } from '../helpers/comfyServer';
import { startSandbox, type Sandbox } from './harness/codeServer';
import { openAtelierPanel, openImageInCanvas } from './harness/webviews';
import { answerQuickInput, launchBrowser, openWorkbench, runCommand, toasts, waitFor } from './harness/workbench';

const VSIX = path.resolve(process.env.ATELIER_VSIX ?? 'atelier-linux-x64.vsix');
const RESULTS = path.resolve('test-results', 'e2e');
const CHECKPOINT = 'SD1.5/dreamshaper_8.safetensors';

let browser: Browser;
let comfy: ComfyDouble;
let sandbox: Sandbox;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  comfy = await startComfyServer({ faults: { stepDelayMs: 100 } });
  sandbox = await startSandbox({
    vsix: VSIX,
    trust: false,
    userSettings: { 'atelier.backend': 'comfyui', 'atelier.comfyui.url': comfy.url, 'atelier.steps': 20, 'atelier.sampler': 'euler-a', 'atelier.previewEvery': 1 },
    prepare: (workspace) => {
      mkdirSync(path.join(workspace, 'art'), { recursive: true });
      return {};
    },
  });
  // A photo-sized, odd-sized source for the canvas (not a multiple of 8).
  const w = 300;
  const h = 204;
  const rgb = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) rgb.set([(i * 7) % 256, (i * 13) % 251, (i >> 3) % 256], i * 3);
  writeFileSync(path.join(sandbox.workspace, 'art', 'tile.png'), await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
  page = await openWorkbench(browser, sandbox.url);
});
afterAll(async () => {
  await page?.close().catch(() => undefined);
  await sandbox?.stop();
  await comfy?.close();
  await browser?.close();
});
afterEach(async (context) => {
  if (context.task.result?.state !== 'fail') return;
  mkdirSync(RESULTS, { recursive: true });
  const name = context.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
  await page?.screenshot({ path: path.join(RESULTS, `${name}.png`) }).catch(() => undefined);
  writeFileSync(path.join(RESULTS, `${name}.code-server.log`), sandbox.output());
  const logs = path.join(sandbox.userDataDir, 'logs');
  if (existsSync(logs)) cpSync(logs, path.join(RESULTS, `${name}-logs`), { recursive: true });
});

const generatedDir = (): string => path.join(sandbox.workspace, 'assets', 'generated');
const pngs = (): string[] => (existsSync(generatedDir()) ? readdirSync(generatedDir()).filter((f) => f.endsWith('.png') && !f.includes('.mask.')) : []);
const params = (file: string) => parseParameters(readTextChunks(readFileSync(path.join(generatedDir(), file))).get('parameters') ?? '');

describe('Atelier on a ComfyUI server in a real VS Code', () => {
  it('C1. Generate Image: checkpoint picked from the server\'s list, server progress in the notification, status bar names the server, metadata names the backend', async () => {
    await runCommand(page, 'Atelier: Generate Image');
    // No checkpoint set yet: the server's own list is offered.
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'v1-5-pruned-emaonly.safetensors' }).first().waitFor({ timeout: 30_000 });
    await answerQuickInput(page, CHECKPOINT);
    await answerQuickInput(page, 'a lighthouse on a server');
    await toasts(page, /Step \d+\/20/).first().waitFor({ timeout: 30_000 });
    const port = new URL(comfy.url).port;
    await page.locator('.statusbar-item', { hasText: `ComfyUI 127.0.0.1:${port}` }).first().waitFor({ timeout: 30_000 });
    const file = await waitFor(() => pngs()[0], 60_000, 'the PNG from the server');
    await page.locator('.tabs-container .tab', { hasText: file }).first().waitFor({ timeout: 30_000 });
    expect(file).toMatch(/^a-lighthouse-on-a-server-\d+\.png$/);
    const p = params(file);
    expect(p.prompt).toBe('a lighthouse on a server');
    expect(p.steps).toBe(20);
    expect(p.fields.get('Backend')).toMatch(/^ComfyUI/);
    // The checkpoint as the server names it, folder included.
    expect(p.fields.get('Model')).toBe(CHECKPOINT);
    expect(comfy.prompts).toHaveLength(1);
    expect(Object.values(comfy.prompts[0].prompt).find((n) => n.class_type === 'CheckpointLoaderSimple')?.inputs?.ckpt_name).toBe(CHECKPOINT);
    // The status bar shows the device the server reported.
    expect(await page.locator('.statusbar-item', { hasText: `ComfyUI 127.0.0.1:${port}` }).first().textContent()).toMatch(/·/);
  });

  it('C2. Cancel interrupts the server\'s job: no file, no stuck progress', async () => {
    const before = pngs();
    comfy.faults.stepDelayMs = 300;
    await runCommand(page, 'Atelier: Generate Image');
    await answerQuickInput(page, 'a slow one on the server');
    const toast = toasts(page, /Step \d+\/20/).first();
    await toast.waitFor({ timeout: 30_000 });
    await toast.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await toasts(page, /Step \d+\/20/).first().waitFor({ state: 'detached', timeout: 15_000 });
    await waitFor(() => (comfy.interrupts.length > 0 ? true : undefined), 15_000, 'the interrupt sent to the server');
    await comfy.idle();
    await page.waitForTimeout(1500);
    expect(pngs()).toEqual(before);
    comfy.faults.stepDelayMs = 100;
  });

  it('C3. the side panel lists the server\'s checkpoints and shows its live preview', async () => {
    const p = await openAtelierPanel(page);
    await p.locator(`vscode-option`, { hasText: CHECKPOINT }).first().waitFor({ state: 'attached', timeout: 30_000 });
    await p.locator('vscode-textarea[data-name="prompt"] textarea').fill('a fox from the panel');
    await p.locator('vscode-button[data-name="generate"]').click();
    await expect.poll(() => p.locator('[data-name="progress"]').textContent(), { timeout: 30_000 }).toMatch(/Step \d+\/20/);
    await p.locator('canvas.preview:not([hidden])').waitFor({ timeout: 30_000 });
    const file = await waitFor(() => pngs().find((f) => f.startsWith('a-fox-from-the-panel')), 60_000, 'the panel\'s PNG');
    await expect.poll(() => p.locator('[data-name="status"]').textContent(), { timeout: 30_000 }).toMatch(/Done in/);
    expect(params(file).fields.get('Backend')).toMatch(/^ComfyUI/);
    await page.locator('.tabs-container .tab', { hasText: file }).first().waitFor({ timeout: 60_000 });
  });

  it('C4. canvas inpaint on the server: a new file, every pixel outside the mask as it was, metadata names the backend', async () => {
    const c = await openImageInCanvas(page, 'art/tile.png');
    await c.locator('vscode-button[data-action="layer-mask"]').click();
    const base = c.locator('canvas.layer-base');
    await page.waitForTimeout(500);
    const box = await base.boundingBox();
    if (!box) throw new Error('the canvas is not visible');
    const at = (x: number, y: number) => ({ x: box.x + (x / 300) * box.width, y: box.y + (y / 204) * box.height });
    await page.mouse.move(at(120, 100).x, at(120, 100).y);
    await page.mouse.down();
    await page.mouse.move(at(180, 100).x, at(180, 100).y, { steps: 10 });
    await page.mouse.up();
    await c.locator('vscode-textarea[data-name="prompt"] textarea').fill('a red door');
    const sent = comfy.prompts.length;
    await c.locator('vscode-button[data-action="generate"]').click();
    await expect.poll(() => c.locator('.status-text').textContent(), { timeout: 30_000 }).toMatch(/Step \d+\/20|Uploading|Saved/);
    const dir = path.join(sandbox.workspace, 'art');
    const result = await waitFor(() => readdirSync(dir).find((f) => /-inpaint-\d+\.png$/.test(f)), 90_000, 'the inpainted PNG');
    await page.locator('.tabs-container .tab', { hasText: result }).first().waitFor({ timeout: 60_000 });
    expect(comfy.prompts.length).toBe(sent + 1);
    expect(Object.values(comfy.prompts[sent].prompt).map((n) => n.class_type)).toContain('SetLatentNoiseMask');
    const p = parseParameters(readTextChunks(readFileSync(path.join(dir, result))).get('parameters') ?? '');
    expect(p.fields.get('Mode')).toBe('inpaint');
    expect(p.fields.get('Backend')).toMatch(/^ComfyUI/);
    const [before, after] = await Promise.all(['tile.png', result].map((f) => sharp(path.join(dir, f)).removeAlpha().raw().toBuffer({ resolveWithObject: true })));
    expect([after.info.width, after.info.height]).toEqual([300, 204]);
    // Far from the stroke (y = 100 ± brush and feather) the source comes back byte for byte; under it, not.
    let changedUnder = 0;
    for (let y = 0; y < 204; y++) {
      for (let x = 0; x < 300; x++) {
        const i = (y * 300 + x) * 3;
        const same = before.data[i] === after.data[i] && before.data[i + 1] === after.data[i + 1] && before.data[i + 2] === after.data[i + 2];
        if ((y < 40 || y > 160 || x < 60 || x > 240) && !same) throw new Error(`pixel (${x}, ${y}) outside the mask changed`);
        if (y === 100 && x >= 130 && x <= 170 && !same) changedUnder++;
      }
    }
    expect(changedUnder).toBeGreaterThan(0);
  });

  it('C4b. a pose layer steers the server\'s inpaint through the server\'s own OpenPose ControlNet', async () => {
    const c = await openImageInCanvas(page, 'art/tile.png');
    await c.locator('vscode-button[data-action="layer-pose"]').click();
    await c.locator('vscode-button[data-action="Add person"]').click();
    const control = c.locator('vscode-checkbox[data-name="control-pose"]');
    if ((await control.getAttribute('checked')) === null) await control.click();
    // The canvas offers the server's ControlNets, by the names the server lists.
    await c.locator('vscode-single-select[data-name="controlnet-pose"] vscode-option', { hasText: 'control_v11p_sd15_openpose.pth' }).first().waitFor({ state: 'attached', timeout: 30_000 });
    await c.locator('vscode-textarea[data-name="prompt"] textarea').fill('a dancer');
    const sent = comfy.prompts.length;
    const dir = path.join(sandbox.workspace, 'art');
    const before = readdirSync(dir).filter((f) => /-inpaint-\d+\.png$/.test(f));
    await c.locator('vscode-button[data-action="generate"]').click();
    const result = await waitFor(() => readdirSync(dir).find((f) => /-inpaint-\d+\.png$/.test(f) && !before.includes(f)), 90_000, 'the pose-steered PNG');
    await page.locator('.tabs-container .tab', { hasText: result }).first().waitFor({ timeout: 60_000 });
    const nodes = Object.values(comfy.prompts[sent].prompt);
    expect(nodes.find((n) => n.class_type === 'ControlNetLoader')?.inputs?.control_net_name).toBe('control_v11p_sd15_openpose.pth');
    expect(nodes.map((n) => n.class_type)).toContain('ControlNetApplyAdvanced');
  });

  it('C5. a server that went down: one error naming the host, the status bar says not connected, no file', async () => {
    const before = pngs();
    const host = new URL(comfy.url).host;
    await comfy.close();
    await runCommand(page, 'Atelier: Generate Image');
    await answerQuickInput(page, 'nobody home');
    await toasts(page, new RegExp(`ComfyUI at ${host.replace(/\./g, '\\.')}`)).first().waitFor({ timeout: 60_000 });
    await page.locator('.statusbar-item', { hasText: 'ComfyUI: not connected' }).first().waitFor({ timeout: 15_000 });
    expect(pngs()).toEqual(before);
  });
});
