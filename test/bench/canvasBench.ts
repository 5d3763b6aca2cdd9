/**
 * Canvas figures in real Chromium: time to open a 2048² image (init message to first frame) and the
 * time each pointer-move takes while painting a 2048×2048 mask (handler plus dirty-rect redraw).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadCanvas } from '../../src/host/canvas/layerFiles';
import { CANVAS_PROTOCOL_VERSION } from '../../src/shared/protocol/canvas';
import { CHROMIUM } from '../e2e/harness/tools';
import { launchBrowser } from '../e2e/harness/workbench';
import { openCanvasPage } from '../webview/harness/canvasPage';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function benchCanvas(): Promise<void> {
  console.log('\nCanvas (2048×2048)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-bench-canvas-'));
  const file = path.join(dir, 'big.png');
  await sharp({ create: { width: 2048, height: 2048, channels: 3, background: { r: 90, g: 140, b: 200 } } }).png().toFile(file);
  const loads: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    await loadCanvas(file);
    loads.push(performance.now() - start);
  }
  console.log(`  host: read + decode + layers median ${percentile(loads, 50).toFixed(0)} ms over ${loads.length} loads`);
  if (!existsSync(CHROMIUM)) {
    console.log(`  skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set ATELIER_CHROMIUM)`);
    return;
  }
  const browser = await launchBrowser();
  try {
    const opens: number[] = [];
    for (let i = 0; i < 3; i++) {
      const canvas = await openCanvasPage(browser, 2048, 2048);
      const timing = canvas.page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            window.addEventListener('message', () => {
              const start = performance.now();
              requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - start)));
            }, { capture: true, once: true });
          }),
      );
      await canvas.send({ type: 'init', v: CANVAS_PROTOCOL_VERSION, fileName: 'bench.png', ...canvas.model.snapshot() });
      opens.push(await timing);
      await canvas.page.close();
    }
    console.log(`  open (init → first frame)   median ${percentile(opens, 50).toFixed(0)} ms over ${opens.length} opens (bytes already in the webview; host decode not included)`);

    const canvas = await openCanvasPage(browser, 2048, 2048);
    await canvas.page.evaluate(() => {
      const w = window as unknown as { __moves: number[]; __t0: number };
      w.__moves = [];
      window.addEventListener('pointermove', () => (w.__t0 = performance.now()), { capture: true });
      window.addEventListener('pointermove', () => w.__moves.push(performance.now() - w.__t0));
    });
    const start = await canvas.screenOf(200, 300);
    await canvas.page.mouse.move(start.x, start.y);
    await canvas.page.mouse.down();
    const end = await canvas.screenOf(1800, 1700);
    await canvas.page.mouse.move(end.x, end.y, { steps: 300 });
    await canvas.page.mouse.up();
    const moves = (await canvas.page.evaluate(() => (window as unknown as { __moves: number[] }).__moves)) as number[];
    await canvas.next('rasterEdit');
    console.log(`  pointer-move while painting  median ${percentile(moves, 50).toFixed(2)} ms, p95 ${percentile(moves, 95).toFixed(2)} ms over ${moves.length} moves (brush radius 24 px; target ≤ 8 ms)`);
    await canvas.page.close();
  } finally {
    await browser.close();
  }
}
