import { describe, expect, it } from 'vitest';
import { defaultPerson } from '../../../src/shared/canvas/openpose';
import { CanvasModel, DEFAULT_EDGES, emptyLayers } from '../../../src/host/canvas/canvasModel';

const model = (w = 16, h = 12) => new CanvasModel(w, h, new Uint8Array(w * h * 4), emptyLayers(w, h), { width: w, height: h, people: [] }, DEFAULT_EDGES);

describe('canvas model (the host copy of the document)', () => {
  it('a paint edit records before/after from the host copy; undo restores it byte for byte and redo re-applies', () => {
    const m = model();
    const original = m.layer('mask').slice();
    const rect = { x: 2, y: 3, width: 4, height: 2 };
    const edit = m.paint('mask', 'Mask stroke', rect, new Uint8Array(8).fill(255));
    expect(edit?.label).toBe('Mask stroke');
    const painted = m.layer('mask').slice();
    expect(painted[3 * 16 + 2]).toBe(255);
    expect(painted[3 * 16 + 6]).toBe(0);
    expect(m.apply(edit!, 'undo')).toMatchObject({ type: 'patch', layer: 'mask', rect });
    expect(Buffer.from(m.layer('mask')).equals(Buffer.from(original))).toBe(true);
    m.apply(edit!, 'redo');
    expect(Buffer.from(m.layer('mask')).equals(Buffer.from(painted))).toBe(true);
  });

  it('an edit that changes nothing is not recorded (no empty undo entries)', () => {
    const m = model();
    expect(m.paint('mask', 'noop', { x: 0, y: 0, width: 2, height: 2 }, new Uint8Array(4))).toBeUndefined();
    expect(m.setEdges(DEFAULT_EDGES)).toBeUndefined();
  });

  it('layers start empty (mask 0, sketch white, depth far) and hasContent notices a change', () => {
    const m = model();
    expect(['mask', 'sketch', 'depth'].map((l) => m.hasContent(l as 'mask'))).toEqual([false, false, false]);
    m.paint('sketch', 'Sketch stroke', { x: 0, y: 0, width: 1, height: 1 }, new Uint8Array([0]));
    expect(m.hasContent('sketch')).toBe(true);
  });

  it('pose and edge edits undo to the previous value', () => {
    const m = model(64, 64);
    const pose = { width: 64, height: 64, people: [defaultPerson(64, 64)] };
    const edit = m.setPose('Add person', pose);
    expect(m.pose.people).toHaveLength(1);
    expect(m.apply(edit, 'undo')).toEqual({ type: 'pose', pose: { width: 64, height: 64, people: [] } });
    const edges = m.setEdges({ enabled: true, low: 50, high: 150 });
    expect(edges?.label).toBe('Show edges');
    m.apply(edges!, 'undo');
    expect(m.edges).toEqual(DEFAULT_EDGES);
  });
});
