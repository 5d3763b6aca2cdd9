/**
 * Undo/redo as a list of gestures: each entry is one stroke, drag or command, recorded as the pixels
 * (or state) before and after inside a dirty rectangle, so memory scales with what changed, not with
 * the layer size. Pure: no DOM.
 */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface HistoryEntry {
  /** Shown in tooltips and VS Code's undo labels, e.g. "Mask stroke". */
  readonly label: string;
  undo(): void;
  redo(): void;
  /** Approximate memory held by this entry, for the budget. */
  readonly bytes: number;
}

export class History {
  private readonly done: HistoryEntry[] = [];
  private readonly undone: HistoryEntry[] = [];
  private bytes = 0;

  constructor(private readonly budgetBytes = 256 * 1024 * 1024) {}

  get canUndo(): boolean {
    return this.done.length > 0;
  }
  get canRedo(): boolean {
    return this.undone.length > 0;
  }
  get size(): number {
    return this.done.length;
  }

  /** Records an already-applied gesture; a new gesture clears the redo branch. */
  push(entry: HistoryEntry): void {
    this.done.push(entry);
    this.bytes += entry.bytes;
    for (const dropped of this.undone.splice(0)) this.bytes -= dropped.bytes;
    while (this.bytes > this.budgetBytes && this.done.length > 1) this.bytes -= this.done.shift()?.bytes ?? 0;
  }

  undo(): HistoryEntry | undefined {
    const entry = this.done.pop();
    if (!entry) return undefined;
    entry.undo();
    this.undone.push(entry);
    return entry;
  }

  redo(): HistoryEntry | undefined {
    const entry = this.undone.pop();
    if (!entry) return undefined;
    entry.redo();
    this.done.push(entry);
    return entry;
  }
}

/** Copies the pixels of `rect` out of a single-channel W×H bitmap. */
export function copyRect(bitmap: Uint8Array, width: number, rect: Rect): Uint8Array {
  const out = new Uint8Array(rect.width * rect.height);
  for (let y = 0; y < rect.height; y++) out.set(bitmap.subarray((rect.y + y) * width + rect.x, (rect.y + y) * width + rect.x + rect.width), y * rect.width);
  return out;
}

export function pasteRect(bitmap: Uint8Array, width: number, rect: Rect, pixels: Uint8Array): void {
  for (let y = 0; y < rect.height; y++) bitmap.set(pixels.subarray(y * rect.width, (y + 1) * rect.width), (rect.y + y) * width + rect.x);
}

/** A history entry for an in-place edit of `rect` on a bitmap: keeps only that rectangle, before and after. */
export function bitmapEdit(label: string, bitmap: Uint8Array, width: number, rect: Rect, before: Uint8Array): HistoryEntry {
  const after = copyRect(bitmap, width, rect);
  return {
    label,
    bytes: before.byteLength + after.byteLength,
    undo: () => pasteRect(bitmap, width, rect, before),
    redo: () => pasteRect(bitmap, width, rect, after),
  };
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
