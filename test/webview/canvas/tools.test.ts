import { describe, expect, it } from 'vitest';
import { defaultPerson } from '../../../src/shared/canvas/openpose';
import { createBitmap } from '../../../src/webview/canvas/mask/maskOps';
import { BrushTool } from '../../../src/webview/canvas/tools/brushTool';
import { drawGradient_ } from '../../../src/webview/canvas/tools/gradient';
import { hitJoint, PoseTool } from '../../../src/webview/canvas/tools/poseTool';
import { fitViewport, panBy, screenToImage, zoomAt } from '../../../src/webview/canvas/view/viewport';
import { restoreUiState, DEFAULT_UI_STATE } from '../../../src/webview/canvas/app/uiState';
import { checkNumber } from '../../../src/webview/panel/formCheck';

describe('brush tool', () => {
  it('one stroke gives one edit covering every touched pixel; outside it nothing changed', () => {
    const mask = createBitmap(64, 64);
    const tool = new BrushTool(mask);
    tool.down(10, 10, { radius: 3, hardness: 1, value: 255 });
    tool.move(40, 10, { radius: 3, hardness: 1, value: 255 });
    const edit = tool.up();
    expect(edit).toBeDefined();
    const { rect } = edit!;
    expect(rect.x).toBeLessThanOrEqual(7);
    expect(rect.x + rect.width).toBeGreaterThanOrEqual(43);
    expect(edit!.pixels.length).toBe(rect.width * rect.height);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) if (x < rect.x || x >= rect.x + rect.width || y < rect.y || y >= rect.y + rect.height) expect(mask.data[y * 64 + x]).toBe(0);
    expect(mask.data[10 * 64 + 25]).toBe(255);
    expect(tool.up()).toBeUndefined();
  });

  it('Escape rolls the stroke back byte for byte and sends nothing', () => {
    const mask = createBitmap(32, 32, 7);
    const before = mask.data.slice();
    const tool = new BrushTool(mask);
    tool.down(5, 5, { radius: 4, hardness: 0.5, value: 255 });
    tool.move(25, 20, { radius: 4, hardness: 0.5, value: 255 });
    expect(tool.cancel()).toBeDefined();
    expect(Buffer.from(mask.data).equals(Buffer.from(before))).toBe(true);
    expect(tool.up()).toBeUndefined();
  });
});

describe('depth gradients', () => {
  it('linear: near at the start, far at the end, constant across', () => {
    const depth = createBitmap(100, 10);
    drawGradient_(depth, { kind: 'linear', x0: 0, y0: 5, x1: 100, y1: 5, near: 255, far: 0 });
    expect(depth.data[5 * 100 + 0]).toBeGreaterThan(250);
    expect(depth.data[5 * 100 + 99]).toBeLessThan(5);
    expect(depth.data[0 * 100 + 50]).toBe(depth.data[9 * 100 + 50]);
  });
  it('radial: near at the centre, far beyond the radius', () => {
    const depth = createBitmap(64, 64);
    drawGradient_(depth, { kind: 'radial', x0: 32, y0: 32, x1: 52, y1: 32, near: 200, far: 10 });
    expect(depth.data[32 * 64 + 32]).toBeGreaterThan(190);
    expect(depth.data[0]).toBe(10);
  });
});

describe('pose tool', () => {
  const pose = { width: 200, height: 200, people: [defaultPerson(200, 200)] };
  it('drags one joint by the pointer movement; a click without movement is no edit', () => {
    const wrist = pose.people[0].keypoints[4];
    const tool = new PoseTool();
    expect(tool.down(pose, wrist.x + 2, wrist.y, 8, false)).toEqual({ person: 0, joint: 4 });
    const done = tool.up(wrist.x + 2 + 30, wrist.y - 10);
    expect(done?.label).toBe('Move joint');
    expect(done!.pose.people[0].keypoints[4]).toMatchObject({ x: wrist.x + 32, y: wrist.y - 10 });
    expect(done!.pose.people[0].keypoints[3]).toEqual(pose.people[0].keypoints[3]);
    tool.down(pose, wrist.x, wrist.y, 8, false);
    expect(tool.up(wrist.x, wrist.y)).toBeUndefined();
  });
  it('Shift-drag moves the whole person; Escape returns the pose before the drag', () => {
    const neck = pose.people[0].keypoints[1];
    const tool = new PoseTool();
    tool.down(pose, neck.x, neck.y, 8, true);
    const moved = tool.move(neck.x + 10, neck.y + 5)!;
    moved.people[0].keypoints.forEach((k, i) => expect(k.x - pose.people[0].keypoints[i].x).toBeCloseTo(10));
    expect(tool.cancel()).toBe(pose);
    expect(hitJoint(pose, -50, -50, 8)).toBeUndefined();
  });
});

describe('viewport', () => {
  it('zooming keeps the image point under the cursor; pan moves; fit centres', () => {
    const v = { zoom: 1, offsetX: 10, offsetY: 20 };
    const before = screenToImage(v, 300, 200);
    const z = zoomAt(v, 300, 200, 2.5);
    expect(screenToImage(z, 300, 200).x).toBeCloseTo(before.x);
    expect(screenToImage(z, 300, 200).y).toBeCloseTo(before.y);
    expect(panBy(v, 5, -5)).toEqual({ zoom: 1, offsetX: 15, offsetY: 15 });
    const fit = fitViewport(2048, 1024, 1000, 600, 0);
    expect(fit.zoom).toBeCloseTo(1000 / 2048);
    expect(fit.offsetY).toBeCloseTo((600 - 1024 * fit.zoom) / 2);
  });
});

describe('stored UI state', () => {
  it('restores valid fields and drops malformed ones', () => {
    const state = restoreUiState({ tool: 'eraser', brushRadius: 'huge', opacity: { mask: 0.2 }, layer: 'base' });
    expect(state.tool).toBe('eraser');
    expect(state.brushRadius).toBe(DEFAULT_UI_STATE.brushRadius);
    expect(state.opacity.mask).toBe(0.2);
    expect(state.opacity.sketch).toBe(DEFAULT_UI_STATE.opacity.sketch);
    expect(state.layer).toBe('mask');
  });
});

describe('panel number fields', () => {
  it('names the field, the value and the fix; never rounds', () => {
    expect(checkNumber({ name: 'Width', raw: '500', min: 64, max: 4096, integer: true, multipleOf: 8 })).toEqual({ error: 'Width must be a multiple of 8, got 500 (try 496 or 504)' });
    expect(checkNumber({ name: 'Steps', raw: '2.5', min: 1, max: 1000, integer: true })).toEqual({ error: 'Steps must be a whole number, got 2.5' });
    expect(checkNumber({ name: 'Steps', raw: '', min: 1, max: 1000, integer: true })).toEqual({ error: 'Steps must be a number, got ""' });
    expect(checkNumber({ name: 'Guidance', raw: '7.5', min: 0, max: 100, integer: false })).toEqual({ value: 7.5 });
  });
});
