/** Checks a detection request from the host and turns its RGBA pixels into the RGB the detectors read. */
import { PipelineError } from '../../shared/errors';
import { MAX_PIXELS, type DetectRequest } from '../../shared/request';
import { splitRgba, type RgbImage } from '../ops/decodeImage';

export function checkDetectRequest(request: DetectRequest): void {
  const { width, height, rgba } = request;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PipelineError('INVALID_INPUT', `width and height must be whole numbers of pixels ≥ 1, got ${String(width)}×${String(height)}`, { argument: 'width' });
  }
  if (width * height > MAX_PIXELS) throw new PipelineError('INVALID_INPUT', `the image is ${width}×${height}, more than the ${MAX_PIXELS}-pixel limit; resize it first`, { argument: 'width' });
  if (!(rgba instanceof Uint8Array) || rgba.length !== width * height * 4) {
    throw new PipelineError('INVALID_INPUT', `rgba must hold ${width}×${height}×4 = ${width * height * 4} bytes, got ${rgba instanceof Uint8Array ? rgba.length : typeof rgba}`, { argument: 'rgba' });
  }
}

/** Drops alpha: the detectors see the colours as stored (transparent pixels keep their RGB). */
export function rgbOf(request: DetectRequest): RgbImage {
  return { width: request.width, height: request.height, rgb: splitRgba(request.rgba, false).rgb };
}
