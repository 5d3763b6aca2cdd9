/** Playwright moves in the VS Code workbench served by code-server. */
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM } from './tools';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function openWorkbench(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.statusbar').waitFor({ timeout: 60_000 });
  return page;
}

/** Opens the command palette and runs a command by its title, retrying until the extension has registered it. */
export async function runCommand(page: Page, title: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+P');
    const input = page.locator('.quick-input-widget input');
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    try {
      // On a loaded machine the palette can miss the first key press: retry until the deadline.
      await input.waitFor({ timeout: 10_000 });
      await input.fill(`>${title}`);
      await row.waitFor({ timeout: 3000 });
      await row.click();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}

/** Opens a workspace file (relative path) through Quick Open, in its default editor. */
export async function openFile(page: Page, relative: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const name = relative.split('/').pop() ?? relative;
  for (;;) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+P');
    const input = page.locator('.quick-input-widget input');
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first();
    try {
      await input.waitFor({ timeout: 10_000 });
      // Without the leading ">" the command palette searches files.
      await input.fill(relative);
      await row.waitFor({ timeout: 3000 });
      await row.click();
      await page.locator('.tabs-container .tab', { hasText: name }).first().waitFor({ timeout: 10_000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}

/** Types into the open quick input and accepts it. */
export async function answerQuickInput(page: Page, text: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 15_000 });
  await input.fill(text);
  await page.keyboard.press('Enter');
}

export function toasts(page: Page, text: string | RegExp) {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text });
}

/** Polls `probe` until it returns a value (files appearing in the workspace, for instance). */
export async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
