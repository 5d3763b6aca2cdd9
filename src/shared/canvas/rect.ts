/**
 * Rectangles on single-channel W×H bitmaps: the unit of a canvas edit (a stroke's dirty rectangle,
 * copied before and after). Pure, used by the webview (drawing) and the host (undo, saving).
 */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Copies the pixels of `rect` out of a single-channel W×H bitmap. */
export function copyRect(bitmap: Uint8Array, width: number, rect: Rect): Uint8Array {
  const out = new Uint8Array(rect.width * rect.height);
  for (let y = 0; y < rect.height; y++) out.set(bitmap.subarray((rect.y + y) * width + rect.x, (rect.y + y) * width + rect.x + rect.width), y * rect.width);
  return out;
}

/** Writes `pixels` (rect.width × rect.height) into the bitmap at `rect`. */
export function pasteRect(bitmap: Uint8Array, width: number, rect: Rect, pixels: Uint8Array): void {
  for (let y = 0; y < rect.height; y++) bitmap.set(pixels.subarray(y * rect.width, (y + 1) * rect.width), (rect.y + y) * width + rect.x);
}

export function unionRect(a: Rect | undefined, b: Rect): Rect {
  if (!a) return b;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}

export function clipRect(r: Rect, width: number, height: number): Rect | undefined {
  const x = Math.max(0, r.x);
  const y = Math.max(0, r.y);
  const x2 = Math.min(width, r.x + r.width);
  const y2 = Math.min(height, r.y + r.height);
  return x2 > x && y2 > y ? { x, y, width: x2 - x, height: y2 - y } : undefined;
}

/** True when `r` is a non-empty integer rectangle fully inside a W×H bitmap. */
export function rectInside(r: Rect, width: number, height: number): boolean {
  return [r.x, r.y, r.width, r.height].every(Number.isInteger) && r.x >= 0 && r.y >= 0 && r.width > 0 && r.height > 0 && r.x + r.width <= width && r.y + r.height <= height;
}
