/**
 * Photos as users bring them, made in the test (never committed): a phone JPEG stored sideways with an
 * EXIF orientation, of an odd size. Upright, it shows four flat quadrants (red top-left, green
 * top-right, blue bottom-left, white bottom-right) that survive JPEG compression and show at once
 * whether a decoder turned it upright.
 */
import sharp from 'sharp';

export const QUADRANTS = { topLeft: [220, 30, 30], topRight: [30, 200, 40], bottomLeft: [30, 40, 210], bottomRight: [240, 240, 240] } as const;

/** The upright quadrant image, interleaved RGB. */
export function quadrants(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = y < height / 2 ? (x < width / 2 ? QUADRANTS.topLeft : QUADRANTS.topRight) : x < width / 2 ? QUADRANTS.bottomLeft : QUADRANTS.bottomRight;
      rgb.set(colour, (y * width + x) * 3);
    }
  }
  return rgb;
}

/** Degrees sharp must turn the upright image clockwise to get the stored pixels, per EXIF orientation (no mirrors). */
const STORED_TURN: Readonly<Record<number, number>> = { 1: 0, 3: 180, 6: 270, 8: 90 };

/**
 * A JPEG whose pixels are stored turned (orientation 6: as a phone held upright stores them), tagged so
 * that a viewer shows the upright `width`×`height` quadrants. Orientation 6 with 653×803 gives the
 * 803×653 stored photo of the e2e scenarios.
 */
export async function rotatedJpeg(width: number, height: number, orientation: 1 | 3 | 6 | 8 = 6): Promise<Uint8Array> {
  const stored = sharp(Buffer.from(quadrants(width, height)), { raw: { width, height, channels: 3 } }).rotate(STORED_TURN[orientation]);
  const turned = await sharp(await stored.png().toBuffer()).jpeg({ quality: 95 }).withMetadata({ orientation }).toBuffer();
  return new Uint8Array(turned);
}

/** The colour at (x, y) of interleaved pixels with `channels` per pixel. */
export function pixelAt(data: Uint8Array, width: number, x: number, y: number, channels = 3): number[] {
  return Array.from(data.subarray((y * width + x) * channels, (y * width + x) * channels + 3));
}

/** Whether two colours are within `tolerance` per channel (JPEG moves flat colours by a few levels). */
export function near(a: readonly number[], b: readonly number[], tolerance = 12): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) <= tolerance);
}
