import { describe, expect, it } from 'vitest';
import { decodeBackup, encodeBackup } from '../../../src/host/canvas/canvasBackup';
import { CanvasModel, DEFAULT_EDGES, emptyLayers } from '../../../src/host/canvas/canvasModel';
import { defaultPerson } from '../../../src/shared/canvas/openpose';

const model = (w: number, h: number) => new CanvasModel(w, h, new Uint8Array(w * h * 4), emptyLayers(w, h), { width: w, height: h, people: [] }, DEFAULT_EDGES);

describe('canvas hot-exit backups', () => {
  it('restore every layer, the pose and the edge settings exactly', () => {
    const source = model(20, 10);
    source.paint('mask', 's', { x: 1, y: 1, width: 3, height: 2 }, new Uint8Array([1, 2, 3, 4, 5, 6]));
    source.paint('depth', 'd', { x: 0, y: 9, width: 20, height: 1 }, new Uint8Array(20).fill(77));
    source.setPose('p', { width: 20, height: 10, people: [defaultPerson(20, 10)] });
    source.setEdges({ enabled: true, low: 10, high: 20 });
    const restored = model(20, 10);
    decodeBackup(encodeBackup(source), restored);
    for (const layer of ['mask', 'sketch', 'depth'] as const) expect(Buffer.from(restored.layer(layer)).equals(Buffer.from(source.layer(layer)))).toBe(true);
    expect(restored.pose).toEqual(source.pose);
    expect(restored.edges).toEqual({ enabled: true, low: 10, high: 20 });
  });

  it('refuse a backup made for another image size, or cut short', () => {
    expect(() => decodeBackup(encodeBackup(model(20, 10)), model(10, 20))).toThrow(/backup is 20×10, the image is now 10×20/);
    expect(() => decodeBackup(encodeBackup(model(20, 10)).subarray(0, -5), model(20, 10))).toThrow(/truncated/);
  });
});
