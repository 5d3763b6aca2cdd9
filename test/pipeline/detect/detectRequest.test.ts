/** Detection requests from the host: refusals that name the field, and RGBA → RGB. */
import { describe, expect, it } from 'vitest';
import { checkDetectRequest, rgbOf } from '../../../src/pipeline/detect/detectRequest';
import { MAX_PIXELS, type DetectRequest } from '../../../src/shared/request';

const request = (over: Partial<DetectRequest>): DetectRequest => ({ width: 2, height: 1, rgba: new Uint8Array(8), executionProvider: 'cpu', ...over });

describe('checkDetectRequest', () => {
  it.each([
    ['a zero width', { width: 0 }, 'width and height must be whole numbers of pixels ≥ 1, got 0×1'],
    ['a fractional height', { height: 1.5 }, 'got 2×1.5'],
    ['more pixels than the limit', { width: 8192, height: 4097, rgba: new Uint8Array(4) }, `more than the ${MAX_PIXELS}-pixel limit`],
    ['RGB instead of RGBA', { rgba: new Uint8Array(6) }, 'rgba must hold 2×1×4 = 8 bytes, got 6'],
  ])('refuses %s', (_name, over, message) => {
    expect(() => checkDetectRequest(request(over))).toThrow(message);
  });

  it('accepts a 1×1 image and drops alpha, keeping the colour of transparent pixels', () => {
    expect(() => checkDetectRequest(request({ width: 1, height: 1, rgba: new Uint8Array(4) }))).not.toThrow();
    expect(Array.from(rgbOf(request({ rgba: Uint8Array.from([1, 2, 3, 0, 4, 5, 6, 255]) })).rgb)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
