/** "Extend canvas" (outpainting from the canvas) on the host: the edit, its undo, its checks and its backup. */
import { describe, expect, it } from 'vitest';
import { decodeBackup, encodeBackup } from '../../../src/host/canvas/canvasBackup';
import { parseFromCanvas } from '../../../src/host/canvas/canvasMessages';
import { CanvasModel, DEFAULT_EDGES, emptyLayers } from '../../../src/host/canvas/canvasModel';
import { InvalidMessage } from '../../../src/host/messages/validate';
import { NO_EXTEND } from '../../../src/shared/protocol/canvas';

const model = (w = 64, h = 48) => new CanvasModel(w, h, new Uint8Array(w * h * 4), emptyLayers(w, h), { width: w, height: h, people: [] }, DEFAULT_EDGES);

describe('canvas extension (outpaint)', () => {
  it('is one undoable edit per change, labelled by the side, and nothing when unchanged', () => {
    const m = model();
    expect(m.extend).toEqual(NO_EXTEND);
    const edit = m.setExtend({ ...NO_EXTEND, left: 64 });
    expect(edit?.label).toBe('Extend canvas left to 64 px');
    expect(m.setExtend({ ...NO_EXTEND, left: 64 })).toBeUndefined();
    const reset = m.setExtend(NO_EXTEND);
    expect(reset?.label).toBe('Reset canvas extension');
    expect(m.apply(reset!, 'undo')).toEqual({ type: 'extend', extend: { ...NO_EXTEND, left: 64 } });
    expect(m.apply(edit!, 'undo')).toEqual({ type: 'extend', extend: NO_EXTEND });
    expect(m.apply(edit!, 'redo')).toEqual({ type: 'extend', extend: { ...NO_EXTEND, left: 64 } });
    expect(m.snapshot().extend).toEqual({ ...NO_EXTEND, left: 64 });
  });

  it('accepts whole multiples of 8 per side within the pixel limit, and refuses anything else', () => {
    expect(parseFromCanvas({ type: 'extendEdit', extend: { left: 0, right: 64, top: 128, bottom: 8 } }, 64, 48)).toEqual({ type: 'extendEdit', extend: { left: 0, right: 64, top: 128, bottom: 8 } });
    const bad = (extend: unknown, width = 64, height = 48): void => void parseFromCanvas({ type: 'extendEdit', extend }, width, height);
    expect(() => bad({ left: 12, right: 0, top: 0, bottom: 0 })).toThrow(/extend\.left must be a multiple of 8, got 12/);
    expect(() => bad({ left: -8, right: 0, top: 0, bottom: 0 })).toThrow(/extend\.left must be in \[0, 1024\]/);
    expect(() => bad({ left: 2048, right: 0, top: 0, bottom: 0 })).toThrow(/extend\.left must be in \[0, 1024\]/);
    expect(() => bad({ left: 0, right: 0, top: 0 })).toThrow(InvalidMessage);
    expect(() => bad({ left: 1024, right: 1024, top: 1024, bottom: 1024 }, 4000, 4000)).toThrow(/passes the 16777216-pixel limit/);
  });

  it('survives hot exit; a backup from before the extension existed restores as not extended', () => {
    const source = model();
    source.setExtend({ left: 0, right: 64, top: 64, bottom: 0 });
    const restored = model();
    decodeBackup(encodeBackup(source), restored);
    expect(restored.extend).toEqual({ left: 0, right: 64, top: 64, bottom: 0 });
    // The header of an older backup, without "extend".
    const bytes = encodeBackup(model());
    const newline = bytes.indexOf(10);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(0, newline))) as Record<string, unknown>;
    delete header.extend;
    const old = new Uint8Array([...new TextEncoder().encode(JSON.stringify(header)), ...bytes.subarray(newline)]);
    const fromOld = model();
    fromOld.setExtend({ ...NO_EXTEND, bottom: 64 });
    decodeBackup(old, fromOld);
    expect(fromOld.extend).toEqual(NO_EXTEND);
  });
});
