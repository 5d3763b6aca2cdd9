/**
 * The canvas webview in real Chromium (Debian's), outside VS Code: the built bundle under the
 * production CSP, driven with a real mouse. The test plays the host with the real CanvasModel.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoseDocument } from '../../src/shared/canvas/openpose';
import { defaultPerson, fromOpenPoseJson, toOpenPoseJson } from '../../src/shared/canvas/openpose';
import type { FromCanvas } from '../../src/shared/protocol/canvas';
import { launchBrowser } from './harness/workbench';
import { openCanvasPage, type CanvasPage } from '../webview/harness/canvasPage';

type RasterEdit = Extract<FromCanvas, { type: 'rasterEdit' }>;
type PoseEdit = Extract<FromCanvas, { type: 'poseEdit' }>;

const W = 256;
const H = 192;
const RESULTS = path.join('test-results', 'webview');
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
  mkdirSync(RESULTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

async function stroke(canvas: CanvasPage, from: [number, number], to: [number, number]): Promise<RasterEdit> {
  const a = await canvas.screenOf(...from);
  const b = await canvas.screenOf(...to);
  await canvas.page.mouse.move(a.x, a.y);
  await canvas.page.mouse.down();
  await canvas.page.mouse.move(b.x, b.y, { steps: 12 });
  await canvas.page.mouse.up();
  return canvas.next<RasterEdit>('rasterEdit');
}

/** Distance from pixel centre (x, y) to the segment a–b. */
function distance(x: number, y: number, a: [number, number], b: [number, number]): number {
  const [px, py] = [x + 0.5 - (a[0] + 0.5), y + 0.5 - (a[1] + 0.5)];
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - t * dx, py - t * dy);
}

describe('canvas webview in Chromium', () => {
  it('a mouse stroke masks the pixels under it and nothing else; undo restores the mask byte for byte', async () => {
    const canvas = await openCanvasPage(browser, W, H);
    try {
      const before = canvas.model.layer('mask').slice();
      const from: [number, number] = [40, 96];
      const to: [number, number] = [200, 120];
      const edit = await stroke(canvas, from, to);
      expect(edit.layer).toBe('mask');
      const recorded = canvas.model.paint(edit.layer, edit.label, edit.rect, edit.pixels);
      expect(recorded).toBeDefined();
      const mask = canvas.model.layer('mask');
      const radius = 24; // the default brush radius
      let under = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const d = distance(x, y, from, to);
          const v = mask[y * W + x];
          // Hardness 0.8: full strength inside 80 % of the radius (less a pixel of pointer rounding), nothing beyond it.
          if (d <= radius * 0.8 - 1.5) {
            expect(v, `(${x},${y}) at ${d.toFixed(1)} px`).toBe(255);
            under++;
          } else if (d >= radius + 1.5) expect(v, `(${x},${y}) at ${d.toFixed(1)} px`).toBe(0);
        }
      }
      expect(under).toBeGreaterThan(3000);
      // What the user sees matches the document: tinted where masked.
      const shown = await canvas.displayedAlpha('mask');
      expect(Buffer.from(shown).equals(Buffer.from(mask))).toBe(true);
      await canvas.page.screenshot({ path: path.join(RESULTS, 'canvas-mask.png') });

      // VS Code's undo: the host applies the edit backwards and patches the view.
      await canvas.send(canvas.model.apply(recorded!, 'undo'));
      expect(Buffer.from(canvas.model.layer('mask')).equals(Buffer.from(before))).toBe(true);
      await expect.poll(async () => Buffer.from(await canvas.displayedAlpha('mask')).equals(Buffer.from(before))).toBe(true);
    } finally {
      await canvas.page.close();
    }
  });

  it('zoom does not change the image positions a stroke lands on', async () => {
    const canvas = await openCanvasPage(browser, W, H);
    try {
      const first = await stroke(canvas, [60, 60], [120, 70]);
      await canvas.send(canvas.model.apply(canvas.model.paint(first.layer, first.label, first.rect, first.pixels)!, 'undo'));
      await canvas.page.locator('.stage').focus();
      for (let i = 0; i < 3; i++) await canvas.page.keyboard.press('+');
      const zoomed = await stroke(canvas, [60, 60], [120, 70]);
      expect(zoomed.rect).toEqual(first.rect);
      expect(Buffer.from(zoomed.pixels).equals(Buffer.from(first.pixels))).toBe(true);
    } finally {
      await canvas.page.close();
    }
  });

  it('Escape during a stroke rolls it back and sends nothing', async () => {
    const canvas = await openCanvasPage(browser, W, H);
    try {
      const a = await canvas.screenOf(30, 30);
      await canvas.page.mouse.move(a.x, a.y);
      await canvas.page.mouse.down();
      await canvas.page.mouse.move(a.x + 80, a.y + 40, { steps: 5 });
      await canvas.page.keyboard.press('Escape');
      await canvas.page.mouse.up();
      await expect(canvas.next('rasterEdit', 500)).rejects.toThrow(/no rasterEdit/);
      expect((await canvas.displayedAlpha('mask')).every((v) => v === 0)).toBe(true);
    } finally {
      await canvas.page.close();
    }
  });

  it('dragging a pose joint moves it in the exported OpenPose JSON by the drag', async () => {
    const canvas = await openCanvasPage(browser, W, H);
    try {
      await canvas.page.locator('vscode-button[data-action="layer-pose"]').click();
      await canvas.page.locator('vscode-button[data-action="Add person"]').click();
      const added = await canvas.next<PoseEdit>('poseEdit');
      canvas.model.setPose(added.label, added.pose);
      const wrist = added.pose.people[0].keypoints[4];
      const start = await canvas.screenOf(wrist.x - 0.5, wrist.y - 0.5);
      const box = await canvas.page.locator('canvas.layer-base').boundingBox();
      const scale = W / (box?.width ?? W);
      await canvas.page.mouse.move(start.x, start.y);
      await canvas.page.mouse.down();
      await canvas.page.mouse.move(start.x + 30, start.y + 18, { steps: 6 });
      await canvas.page.mouse.up();
      const moved = await canvas.next<PoseEdit>('poseEdit');
      expect(moved.label).toBe('Move joint');
      canvas.model.setPose(moved.label, moved.pose);
      const exported: PoseDocument = fromOpenPoseJson(toOpenPoseJson(canvas.model.pose));
      const after = exported.people[0].keypoints[4];
      expect(after.x - wrist.x).toBeCloseTo(30 * scale, 0);
      expect(after.y - wrist.y).toBeCloseTo(18 * scale, 0);
      // Every other joint stayed where it was.
      exported.people[0].keypoints.forEach((k, i) => {
        if (i !== 4) expect(Math.abs(k.x - added.pose.people[0].keypoints[i].x)).toBeLessThan(0.01);
      });
      await canvas.page.screenshot({ path: path.join(RESULTS, 'canvas-pose.png') });
    } finally {
      await canvas.page.close();
    }
  });

  it('Mirror and Larger act on the last person when no joint is selected', async () => {
    const canvas = await openCanvasPage(browser, W, H);
    try {
      await canvas.page.locator('vscode-button[data-action="layer-pose"]').click();
      await canvas.page.locator('vscode-button[data-action="Add person"]').click();
      const added = await canvas.next<PoseEdit>('poseEdit');
      await canvas.page.locator('vscode-button[data-action="Mirror"]').click();
      // (The T-pose is symmetric, so mirroring it changes no coordinate; the edit is what shows it acted.)
      const mirrored = await canvas.next<PoseEdit>('poseEdit');
      expect(mirrored.label).toBe('Mirror person');
      await canvas.page.locator('vscode-button[data-action="Larger"]').click();
      const larger = await canvas.next<PoseEdit>('poseEdit');
      const span = (p: PoseDocument) => Math.abs(p.people[0].keypoints[4].x - p.people[0].keypoints[7].x);
      expect(larger.label).toBe('Scale person');
      expect(span(larger.pose) / span(added.pose)).toBeCloseTo(1.1, 2);
    } finally {
      await canvas.page.close();
    }
  });

  it('a pose the host sets (Detect pose, import, undo) updates the pose buttons at once: Export JSON is usable without switching layers', async () => {
    const canvas = await openCanvasPage(browser, W, H);
    try {
      await canvas.page.locator('vscode-button[data-action="layer-pose"]').click();
      const exportButton = canvas.page.locator('vscode-button[data-action="Export JSON…"]');
      expect(await exportButton.getAttribute('disabled')).not.toBeNull();
      // What "Detect pose from image" sends back: the layer's new skeletons, as a host message.
      const detected = canvas.model.setPose('Detect pose', { width: W, height: H, people: [defaultPerson(W, H)] });
      await canvas.send({ type: 'pose', pose: canvas.model.pose });
      await expect.poll(() => exportButton.getAttribute('disabled')).toBeNull();
      await exportButton.click();
      await canvas.next('exportPose');
      // And back: an undo that empties the layer disables it again.
      await canvas.send(canvas.model.apply(detected, 'undo'));
      await expect.poll(() => exportButton.getAttribute('disabled')).not.toBeNull();
    } finally {
      await canvas.page.close();
    }
  });

  it('the sidebar never scrolls sideways and shows every slider value whole, on every layer', async () => {
    const canvas = await openCanvasPage(browser, W, H);
    try {
      for (const layer of ['mask', 'sketch', 'depth', 'edges', 'pose']) {
        await canvas.page.locator(`vscode-button[data-action="layer-${layer}"]`).click();
        const sidebar = canvas.page.locator('aside.sidebar');
        expect(await sidebar.evaluate((el) => el.scrollWidth - el.clientWidth), `${layer} layer`).toBeLessThanOrEqual(0);
        const clipped = await canvas.page.locator('.slider output').evaluateAll((els) =>
          els.filter((e) => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > (e.closest('aside')?.getBoundingClientRect().right ?? Infinity) + 0.5).map((e) => e.textContent),
        );
        expect(clipped, `${layer} layer`).toEqual([]);
      }
    } finally {
      await canvas.page.close();
    }
  });

  it('Extend canvas: each click is one edit the host can undo; the stage frames the grown canvas', async () => {
    const canvas = await openCanvasPage(browser, W, H);
    try {
      const more = canvas.page.locator('vscode-button[data-action="extend-left-more"]');
      await more.click();
      const first = await canvas.next<Extract<FromCanvas, { type: 'extendEdit' }>>('extendEdit');
      expect(first.extend).toEqual({ left: 64, right: 0, top: 0, bottom: 0 });
      const edit = canvas.model.setExtend(first.extend);
      await more.click();
      const second = await canvas.next<Extract<FromCanvas, { type: 'extendEdit' }>>('extendEdit');
      expect(second.extend.left).toBe(128);
      canvas.model.setExtend(second.extend);
      await expect.poll(() => canvas.page.locator('[data-name="extend-size"]').textContent()).toMatch(new RegExp(`${W}×${H} → ${W + 128}×${H}`));
      // The frame covers the new area: 128 image pixels left of the image, in screen pixels at the current zoom.
      const frame = await canvas.page.locator('[data-name="extend-frame"]').boundingBox();
      const image = await canvas.page.locator('canvas.layer-base').boundingBox();
      if (!frame || !image) throw new Error('frame or image not visible');
      expect(frame.width / image.width).toBeCloseTo((W + 128) / W, 2);
      expect(image.x - frame.x).toBeCloseTo((128 / W) * image.width, 0);
      // VS Code's undo back to before the first click: no extension, and the frame goes.
      await canvas.send(canvas.model.apply(edit!, 'undo'));
      await expect.poll(() => canvas.page.locator('[data-name="extend-left"]').textContent()).toBe('0');
      expect(await canvas.page.locator('[data-name="extend-frame"]').isHidden()).toBe(true);
    } finally {
      await canvas.page.close();
    }
  });
});
