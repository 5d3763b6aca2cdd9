import { describe, expect, it } from 'vitest';
import { controlTypeFor, greyToRgb, layerControls } from '../../../src/host/canvas/canvasControls';
import { CanvasModel } from '../../../src/host/canvas/canvasModel';
import { emptyLayers } from '../../../src/host/canvas/canvasModel';
import { defaultPerson } from '../../../src/shared/canvas/openpose';

const W = 16;
const H = 12;

function model(): CanvasModel {
  return new CanvasModel(W, H, new Uint8Array(W * H * 4), emptyLayers(W, H), { width: W, height: H, people: [] }, { enabled: false, low: 50, high: 150 });
}

describe('canvas control layers → ControlNet inputs', () => {
  it('maps each layer to its ControlNet type; a sketch prefers scribble, else an installed lineart', () => {
    expect(controlTypeFor('pose', [])).toBe('openpose');
    expect(controlTypeFor('edges', [])).toBe('canny');
    expect(controlTypeFor('sketch', [])).toBe('scribble');
    expect(controlTypeFor('sketch', [{ dir: '/cn/Lineart', type: 'lineart' }])).toBe('lineart');
    expect(controlTypeFor('sketch', [{ dir: '/cn/Lineart', type: 'lineart' }, { dir: '/cn/Scribble', type: 'scribble' }])).toBe('scribble');
  });

  it('skips empty layers with a notice and turns the rest into RGB images at the canvas size', () => {
    const m = model();
    const empty = layerControls(m, [{ layer: 'depth', scale: 1 }, { layer: 'pose', scale: 1 }, { layer: 'edges', scale: 1 }], [], () => new Uint8Array(W * H));
    expect(empty.controls).toEqual([]);
    expect(empty.notices).toEqual([
      'The depth layer is empty, so it was not used as a control.',
      'The pose layer is empty, so it was not used as a control.',
      'The edges layer is off (tick "Compute edges from the image"), so it was not used as a control.',
    ]);
    m.paint('depth', 'Depth', { x: 0, y: 0, width: 2, height: 1 }, Uint8Array.of(200, 100));
    m.setPose('Add person', { width: W, height: H, people: [defaultPerson(W, H)] });
    const full = layerControls(m, [{ layer: 'depth', scale: 0.5 }, { layer: 'pose', scale: 1.2 }], [], () => new Uint8Array(W * H));
    expect(full.notices).toEqual([]);
    expect(full.controls.map((c) => [c.layer, c.type, c.scale, c.rgb.length])).toEqual([
      ['depth', 'depth', 0.5, W * H * 3],
      ['pose', 'openpose', 1.2, W * H * 3],
    ]);
    expect([...full.controls[0].rgb.subarray(0, 6)]).toEqual([200, 200, 200, 100, 100, 100]);
    expect(full.controls[1].rgb.some((v) => v > 0)).toBe(true);
    expect([...greyToRgb(Uint8Array.of(7))]).toEqual([7, 7, 7]);
  });

  it('uses the ControlNet chosen for a layer (its folder and type); a stale choice falls back with a notice', () => {
    const m = model();
    m.paint('sketch', 'Sketch', { x: 0, y: 0, width: 1, height: 1 }, Uint8Array.of(0));
    const installed = [
      { dir: '/cn/Scribble', type: 'scribble' as const },
      { dir: '/cn/anyline', type: 'lineart' as const },
    ];
    const chosen = layerControls(m, [{ layer: 'sketch', scale: 1, controlNet: 'cn1' }], installed, () => new Uint8Array(W * H));
    expect(chosen.controls.map((c) => [c.type, c.controlNetDir])).toEqual([['lineart', '/cn/anyline']]);
    // A black stroke on the white sheet reaches the ControlNet as white on black.
    expect([...chosen.controls[0].rgb.subarray(0, 6)]).toEqual([255, 255, 255, 0, 0, 0]);
    const stale = layerControls(m, [{ layer: 'sketch', scale: 1, controlNet: 'cn7' }], installed, () => new Uint8Array(W * H));
    expect(stale.controls.map((c) => [c.type, c.controlNetDir])).toEqual([['scribble', undefined]]);
    expect(stale.notices).toEqual(['The ControlNet chosen for the sketch layer is no longer installed; the first scribble ControlNet is used instead.']);
  });
});
