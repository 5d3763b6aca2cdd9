import { describe, expect, it } from 'vitest';
import { bitmapEdit, copyRect, History } from '../../../src/webview/canvas/history/history';
import { createBitmap, stamp_, strokeSegment_ } from '../../../src/webview/canvas/mask/maskOps';

describe('undo history', () => {
  it('one stroke is one entry; undo restores the mask byte for byte, redo re-applies it', () => {
    const mask = createBitmap(64, 48);
    const original = mask.data.slice();
    const history = new History();
    const rect = { x: 0, y: 0, width: 64, height: 48 };
    const before = copyRect(mask.data, 64, rect);
    strokeSegment_(mask, 5, 5, 50, 40, { radius: 4, hardness: 1, value: 255 });
    const painted = mask.data.slice();
    history.push(bitmapEdit('Mask stroke', mask.data, 64, rect, before));
    expect(history.size).toBe(1);
    history.undo();
    expect(Buffer.from(mask.data).equals(Buffer.from(original))).toBe(true);
    history.redo();
    expect(Buffer.from(mask.data).equals(Buffer.from(painted))).toBe(true);
  });

  it('a new gesture clears the redo branch; undo on empty is a no-op', () => {
    const h = new History();
    const log: string[] = [];
    const entry = (name: string) => ({ label: name, bytes: 1, undo: () => log.push(`undo ${name}`), redo: () => log.push(`redo ${name}`) });
    expect(h.undo()).toBeUndefined();
    h.push(entry('a'));
    h.push(entry('b'));
    h.undo();
    h.push(entry('c'));
    expect(h.canRedo).toBe(false);
    h.undo();
    h.undo();
    expect(log).toEqual(['undo b', 'undo c', 'undo a']);
  });

  it('keeps only dirty rectangles and drops the oldest entries past its memory budget', () => {
    const mask = createBitmap(100, 100);
    const h = new History(2000);
    for (let i = 0; i < 10; i++) {
      const rect = { x: i * 10, y: 0, width: 10, height: 10 };
      const before = copyRect(mask.data, 100, rect);
      stamp_(mask, i * 10 + 5, 5, { radius: 3, hardness: 1, value: 255 });
      h.push(bitmapEdit('dab', mask.data, 100, rect, before));
    }
    expect(h.size).toBe(10); // 10 entries × 200 bytes fit the 2000-byte budget exactly
    const rect = { x: 0, y: 50, width: 10, height: 10 };
    h.push(bitmapEdit('one more', mask.data, 100, rect, copyRect(mask.data, 100, rect)));
    expect(h.size).toBe(10);
  });
});
