/**
 * "Select person": MediaPipe selfie segmentation. The image is stretched to the model's 256×256 in
 * [0, 1] (as MediaPipe feeds it), and the person probability is resized back to the image and cut at
 * 0.5 into a 0/255 mask.
 */
import sharp from 'sharp';
import type { Session } from '../backends/onnx';
import { findInput, readFloat } from '../models/tensorIo';
import { resizeRgb, type RgbImage } from '../ops/decodeImage';

export const SEGMENTATION_SIDE = 256;
/** Less than this share of the image is noise, not a person. */
export const MIN_PERSON_COVERAGE = 0.002;

/** The person probability at the model's resolution (256×256, 0…1). */
export async function personProbability(session: Session, image: RgbImage): Promise<Float32Array> {
  const small = await resizeRgb(image, SEGMENTATION_SIDE, SEGMENTATION_SIDE);
  const input = new Float32Array(small.rgb.length);
  for (let i = 0; i < input.length; i++) input[i] = small.rgb[i] / 255;
  const info = findInput(session, ['image'], 'image');
  const out = await session.run({ [info.name]: { type: 'float32', data: input, dims: [1, SEGMENTATION_SIDE, SEGMENTATION_SIDE, 3] } });
  return readFloat(out.mask, 'mask');
}

export async function segmentPerson(session: Session, image: RgbImage): Promise<{ mask: Uint8Array | undefined; coverage: number }> {
  const probability = await personProbability(session, image);
  const bytes = new Uint8Array(probability.length);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(probability[i] * 255);
  const resized = await sharp(Buffer.from(bytes.buffer), { raw: { width: SEGMENTATION_SIDE, height: SEGMENTATION_SIDE, channels: 1 } })
    .resize(image.width, image.height, { fit: 'fill', kernel: 'linear' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  // Plain loops: Uint8Array.from with a mapper and reduce cost ~100 ms on a megapixel.
  const mask = new Uint8Array(resized.length);
  let covered = 0;
  for (let i = 0; i < mask.length; i++) {
    if (resized[i] >= 128) {
      mask[i] = 255;
      covered++;
    }
  }
  const coverage = covered / mask.length;
  return { mask: coverage >= MIN_PERSON_COVERAGE ? mask : undefined, coverage };
}
