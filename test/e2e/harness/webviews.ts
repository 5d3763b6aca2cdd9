/** Finding and opening Atelier's webviews inside the workbench (nested iframes served by code-server). */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { openFile, runCommand } from './workbench';

/** The first frame that contains `selector` (webview content frames are nested two deep). */
export async function webviewFrame(page: Page, selector: string, timeoutMs = 60_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      if ((await frame.locator(selector).count().catch(() => 0)) > 0) return frame;
    }
    if (Date.now() > deadline) throw new Error(`no webview with ${selector} appeared within ${timeoutMs} ms`);
    await page.waitForTimeout(250);
  }
}

/**
 * Shows the Atelier side panel (the activity-bar icon toggles it: clicked only when not showing) and
 * returns its frame once the host's init has arrived: the prompt box exists before that, and init
 * sets it to the stored prompt, so text typed earlier would be lost (scenario 3 failed so under load).
 */
export async function openAtelierPanel(page: Page): Promise<Frame> {
  const item = page.locator('.activitybar .action-item', { has: page.locator('[aria-label^="Atelier"]') }).first();
  if (!((await item.getAttribute('class')) ?? '').includes('checked')) await item.click();
  return webviewFrame(page, 'body[data-initialised] vscode-textarea[data-name="prompt"]');
}

/** Opens a workspace image (relative path) in Atelier Canvas from the palette and returns its frame once drawn. */
export async function openImageInCanvas(page: Page, relative: string): Promise<Frame> {
  const name = relative.split('/').pop() ?? relative;
  await openFile(page, relative);
  await runCommand(page, 'Atelier: Open in Canvas');
  const c = await webviewFrame(page, `footer .file:has-text("${name}")`);
  await c.locator('canvas.layer-base').waitFor();
  return c;
}

/** A real photo with no person in it (a hibiscus, 128×128, from an npm package), for the canvas scenarios. */
export const FLOWER_PHOTO = path.resolve('node_modules/@upscalerjs/esrgan-slim/assets/fixture.png');

/** Copies the flower photo into `<workspace>/photos/flower.png` (a sandbox `prepare` step). */
export function addFlowerPhoto(workspace: string): Record<string, unknown> {
  mkdirSync(path.join(workspace, 'photos'), { recursive: true });
  copyFileSync(FLOWER_PHOTO, path.join(workspace, 'photos', 'flower.png'));
  return {};
}
