/** Finding Atelier's webviews inside the workbench (nested iframes served by code-server). */
import type { Frame, Page } from 'playwright-core';

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
