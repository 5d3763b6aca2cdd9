import { describe, expect, it } from 'vitest';
import { parseFromCanvas } from '../../../src/host/canvas/canvasMessages';
import { InvalidMessage } from '../../../src/host/messages/validate';
import { CANVAS_PROTOCOL_VERSION } from '../../../src/shared/protocol/canvas';
import { defaultPerson } from '../../../src/shared/canvas/openpose';
import { SeededRandom } from '../../fixtures/onnx/seededRandom';

const W = 32;
const H = 24;
const parse = (m: unknown) => parseFromCanvas(m, W, H);

describe('canvas → host message validation', () => {
  it('accepts well-formed messages', () => {
    expect(parse({ type: 'ready', v: CANVAS_PROTOCOL_VERSION })).toEqual({ type: 'ready', v: CANVAS_PROTOCOL_VERSION });
    const edit = parse({ type: 'rasterEdit', layer: 'mask', label: 'Mask stroke', rect: { x: 1, y: 2, width: 3, height: 4 }, pixels: new Uint8Array(12) });
    expect(edit.type).toBe('rasterEdit');
    const pose = { width: W, height: H, people: [defaultPerson(W, H)] };
    expect(parse({ type: 'poseEdit', label: 'Move joint', pose })).toMatchObject({ type: 'poseEdit', pose });
    expect(parse({ type: 'generate', options: { prompt: 'a cat', strength: 0.5, maskBlur: 4, onlyMasked: true, controls: [{ layer: 'pose', scale: 0.8 }, { layer: 'depth', scale: 1, controlNet: 'cn2' }] } })).toEqual({
      type: 'generate',
      options: { prompt: 'a cat', strength: 0.5, maskBlur: 4, onlyMasked: true, controls: [{ layer: 'pose', scale: 0.8 }, { layer: 'depth', scale: 1, controlNet: 'cn2' }] },
    });
  });

  it.each([
    ['an unknown type', { type: 'writeFile', path: '/etc/passwd' }, /unknown message type/],
    ['an old protocol', { type: 'ready', v: 0 }, /protocol v0/],
    ['a rect outside the canvas', { type: 'rasterEdit', layer: 'mask', label: 'x', rect: { x: 30, y: 0, width: 4, height: 1 }, pixels: new Uint8Array(4) }, /not inside/],
    ['a fractional rect', { type: 'rasterEdit', layer: 'mask', label: 'x', rect: { x: 0.5, y: 0, width: 1, height: 1 }, pixels: new Uint8Array(1) }, /integer/],
    ['pixels of the wrong length', { type: 'rasterEdit', layer: 'mask', label: 'x', rect: { x: 0, y: 0, width: 2, height: 2 }, pixels: new Uint8Array(3) }, /3 bytes; expected 4/],
    ['pixels as a JSON number array', { type: 'rasterEdit', layer: 'mask', label: 'x', rect: { x: 0, y: 0, width: 1, height: 1 }, pixels: [255] }, /Uint8Array/],
    ['an unknown layer', { type: 'rasterEdit', layer: 'base', label: 'x', rect: { x: 0, y: 0, width: 1, height: 1 }, pixels: new Uint8Array(1) }, /layer must be one of/],
    ['NaN strength', { type: 'generate', options: { prompt: 'a', strength: Number.NaN, maskBlur: 0, onlyMasked: false, controls: [] } }, /finite/],
    ['a control scale above 2', { type: 'generate', options: { prompt: 'a', strength: 0.5, maskBlur: 0, onlyMasked: false, controls: [{ layer: 'depth', scale: 3 }] } }, /control scale/],
    ['a ControlNet named by path', { type: 'generate', options: { prompt: 'a', strength: 0.5, maskBlur: 0, onlyMasked: false, controls: [{ layer: 'depth', scale: 1, controlNet: '/etc/passwd' }] } }, /controlNet must be an id the host sent/],
    ['a control layer twice', { type: 'generate', options: { prompt: 'a', strength: 0.5, maskBlur: 0, onlyMasked: false, controls: [{ layer: 'depth', scale: 1 }, { layer: 'depth', scale: 1 }] } }, /twice/],
    ['an upscale factor the canvas does not offer', { type: 'upscale', scale: 3 }, /scale must be 2 or 4, got 3/],
    ['a detector that does not exist', { type: 'detect', what: 'face' }, /what must be "pose" or "person", got "face"/],
    ['a mask layer as a control', { type: 'generate', options: { prompt: 'a', strength: 0.5, maskBlur: 0, onlyMasked: false, controls: [{ layer: 'mask', scale: 1 }] } }, /control layer must be one of/],
    ['a pose for another size', { type: 'poseEdit', label: 'x', pose: { width: 10, height: 10, people: [] } }, /10×10/],
    ['a person with 17 keypoints', { type: 'poseEdit', label: 'x', pose: { width: W, height: H, people: [{ keypoints: defaultPerson(W, H).keypoints.slice(1) }] } }, /17 keypoints/],
    ['edges low > high', { type: 'edgesEdit', edges: { enabled: true, low: 200, high: 100 } }, /must not exceed/],
  ])('refuses %s with a message naming the field', (_name, message, error) => {
    expect(() => parse(message)).toThrow(error);
  });

  it('never throws anything but InvalidMessage on random input (2000 cases)', () => {
    const rng = new SeededRandom(7);
    const random = (): number => rng.uniform();
    const values = (): unknown => {
      const pick = Math.floor(random() * 10);
      return [null, undefined, 42, Number.NaN, 'mask', [], {}, new Uint8Array(3), { x: 1 }, true][pick];
    };
    const keys = ['type', 'v', 'layer', 'label', 'rect', 'pixels', 'pose', 'edges', 'what', 'options'];
    const types = ['ready', 'rasterEdit', 'poseEdit', 'edgesEdit', 'import', 'exportPose', 'generate', 'upscale', 'listControlNets', 'detect', 'nope'];
    for (let i = 0; i < 2000; i++) {
      const message: Record<string, unknown> = { type: types[Math.floor(random() * types.length)] };
      for (const key of keys.slice(1)) if (random() < 0.5) message[key] = values();
      try {
        parse(message);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidMessage);
      }
    }
  });
});
