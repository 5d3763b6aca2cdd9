/**
 * The built canvas webview in real Chromium, outside VS Code: the page is served with the same HTML
 * and CSP the extension renders, `acquireVsCodeApi` is a stub that queues the webview's messages, and
 * the test plays the host with the real (pure) CanvasModel.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CanvasModel, DEFAULT_EDGES, emptyLayers } from '../../../src/host/canvas/canvasModel';
import { renderWebviewHtml } from '../../../src/extension/webview/html';
import { CANVAS_PROTOCOL_VERSION, type ToCanvas } from '../../../src/shared/protocol/canvas';

const ORIGIN = 'https://atelier-webview.test';
// Run from the repository root (vitest and npm scripts do), so this works bundled or not.
const DIST = path.resolve('dist', 'webview');

/** Messages cross the test boundary as JSON; typed arrays travel as base64 and are rebuilt. */
const STUB = `
window.__sent = [];
const encode = (v) => v instanceof Uint8Array ? { __bytes: btoa(Array.from(v, (b) => String.fromCharCode(b)).join('')) }
  : Array.isArray(v) ? v.map(encode) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)])) : v;
const decode = (v) => v && typeof v === 'object' && '__bytes' in v ? Uint8Array.from(atob(v.__bytes), (c) => c.charCodeAt(0))
  : Array.isArray(v) ? v.map(decode) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)])) : v;
let state;
window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__sent.push(encode(m)), getState: () => state, setState: (s) => { state = s; } });
window.__deliver = (m) => window.postMessage(decode(m), '*');
`;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function encode(value: unknown): Json {
  if (value instanceof Uint8Array) return { __bytes: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  return value as Json;
}

function decode(value: Json): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === 'object') {
    if (typeof value.__bytes === 'string') return new Uint8Array(Buffer.from(value.__bytes, 'base64'));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

export interface CanvasPage {
  readonly page: Page;
  readonly model: CanvasModel;
  send(message: ToCanvas): Promise<void>;
  /** Waits for and removes the webview's next messages of a type. */
  next<T extends { type: string }>(type: T['type'], timeoutMs?: number): Promise<T>;
  /** Screen position of an image pixel in the current zoom and pan. */
  screenOf(x: number, y: number): Promise<{ x: number; y: number }>;
  /** Alpha channel of a layer's display canvas (what the user sees of that layer). */
  displayedAlpha(layer: string): Promise<Uint8Array>;
}

export function gradientImage(width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      rgba.set([Math.round((x / width) * 255), Math.round((y / height) * 255), 128, 255], i);
    }
  }
  return rgba;
}

export async function openCanvasPage(browser: Browser, width: number, height: number, viewport = { width: 1100, height: 760 }): Promise<CanvasPage> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  const html = renderWebviewHtml({ cspSource: ORIGIN }, { title: 'Atelier Canvas', scriptUri: `${ORIGIN}/canvas.js`, styleUri: `${ORIGIN}/canvas.css` });
  const nonce = /nonce="([^"]+)"/.exec(html)?.[1] ?? '';
  const withStub = html.replace('<div id="app"></div>', `<div id="app"></div>\n<script nonce="${nonce}">${STUB}</script>`);
  await page.route(`${ORIGIN}/**`, (route) => {
    const name = new URL(route.request().url()).pathname.slice(1);
    if (name === 'index.html') return route.fulfill({ contentType: 'text/html', body: withStub });
    if (name === 'canvas.js' || name === 'canvas.css') return route.fulfill({ contentType: name.endsWith('.js') ? 'text/javascript' : 'text/css', body: readFileSync(path.join(DIST, name)) });
    return route.fulfill({ status: 404, body: '' });
  });
  await page.goto(`${ORIGIN}/index.html`);

  const model = new CanvasModel(width, height, gradientImage(width, height), emptyLayers(width, height), { width, height, people: [] }, DEFAULT_EDGES);
  const queue: { type: string }[] = [];
  const next = async <T extends { type: string }>(type: T['type'], timeoutMs = 10_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const sent = (await page.evaluate(() => (window as unknown as { __sent: Json[] }).__sent.splice(0))) as Json[];
      queue.push(...sent.map((m) => decode(m) as { type: string }));
      const index = queue.findIndex((m) => m.type === type);
      if (index >= 0) return queue.splice(index, 1)[0] as T;
      if (errors.length > 0) throw new Error(`the canvas page failed: ${errors.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`no ${type} message from the canvas within ${timeoutMs} ms (got ${queue.map((m) => m.type).join(', ') || 'nothing'})`);
      await page.waitForTimeout(25);
    }
  };
  const send = async (message: ToCanvas): Promise<void> => {
    await page.evaluate((json) => (window as unknown as { __deliver: (m: unknown) => void }).__deliver(JSON.parse(json)), JSON.stringify(encode(message)));
  };
  await next('ready');
  await send({ type: 'init', v: CANVAS_PROTOCOL_VERSION, fileName: 'test.png', ...model.snapshot() });
  await page.locator('canvas.layer-base').waitFor();
  await page.waitForTimeout(100);

  return {
    page,
    model,
    send,
    next,
    screenOf: async (x, y) => {
      const box = await page.locator('canvas.layer-base').boundingBox();
      if (!box) throw new Error('the base canvas is not visible');
      return { x: box.x + ((x + 0.5) / width) * box.width, y: box.y + ((y + 0.5) / height) * box.height };
    },
    displayedAlpha: async (layer) => {
      const alpha = await page.evaluate((name) => {
        const c = document.querySelector<HTMLCanvasElement>(`canvas[data-layer="${name}"]`);
        const data = c?.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
        return btoa(Array.from({ length: data.length / 4 }, (_, i) => String.fromCharCode(data[i * 4 + 3])).join(''));
      }, layer);
      return new Uint8Array(Buffer.from(alpha, 'base64'));
    },
  };
}
