/**
 * The converted upscalers against outputs we did not make: each package's own results for its
 * fixture (samples/<N>x/result.png, PSNR reported here, ≥ 35 dB required), and for 8× (no sample
 * shipped) the original TensorFlow.js model run by @tensorflow/tfjs on a crop.
 */
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type Session } from '../../../src/pipeline/backends/onnx';
import { packageRoot } from '../../../src/build/builtinPackages';
import { decodeForUpscale } from '../../../src/pipeline/ops/decodeImage';
import { upscaleImage, type UpscaledImage } from '../../../src/pipeline/upscale/upscaleImage';
import { defaultTiles, upscaleRgb } from '../../../src/pipeline/upscale/upscaleRgb';
import { findUpscaler } from '../../../src/pipeline/upscale/upscalers';
import type { UpscaleFactor, UpscalerModel } from '../../../src/shared/request';
import { quietLog } from '../../helpers/fixtures';

const UPSCALERS = path.resolve('dist/upscalers');
const sessions = new Map<string, Session>();

async function sessionFor(model: UpscalerModel, scale: UpscaleFactor): Promise<{ session: Session; radius: number }> {
  const { file, info } = findUpscaler(UPSCALERS, model, scale);
  let s = sessions.get(file);
  if (!s) {
    s = await openSession(file, { preference: 'cpu', stats: { runs: 0, runMs: 0 }, log: quietLog });
    sessions.set(file, s);
  }
  return { session: s, radius: info.receptiveRadius };
}

/** Upscales a file as the product does (the converted model, tiled, the image's edges continued). */
async function upscaleWith(model: UpscalerModel, scale: UpscaleFactor, image: Uint8Array): Promise<UpscaledImage> {
  const { session, radius } = await sessionFor(model, scale);
  return upscaleImage(session, { image, scale, model, executionProvider: 'cpu' }, radius);
}

/** The converted network alone on the decoded RGB (tiled, with zeros beyond the border as the originals have): the conversion check. */
async function networkOnly(model: UpscalerModel, scale: UpscaleFactor, image: Uint8Array): Promise<Uint8Array> {
  const { session, radius } = await sessionFor(model, scale);
  const decoded = await decodeForUpscale(image, 'image');
  return (await upscaleRgb(session, decoded, { scale, tiles: defaultTiles(scale, radius) })).rgb;
}
afterAll(async () => {
  for (const s of sessions.values()) await s.release();
});

function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / a.length));
}

/**
 * The RGB pixels more than `border` px from the edge of a width-wide image. The references were made
 * with zeros beyond the border (the networks' own padding), where Atelier continues the image's edge
 * pixels (right colours at the border): they agree exactly only beyond the receptive field.
 */
function interior(rgb: Uint8Array, width: number, height: number, border: number): Uint8Array {
  const out: number[] = [];
  for (let y = border; y < height - border; y++) for (let x = border; x < width - border; x++) out.push(rgb[(y * width + x) * 3], rgb[(y * width + x) * 3 + 1], rgb[(y * width + x) * 3 + 2]);
  return Uint8Array.from(out);
}

async function rgbOf(png: Uint8Array | string): Promise<Uint8Array> {
  return new Uint8Array(await sharp(png).removeAlpha().raw().toBuffer());
}

describe.each(['slim', 'medium'] as const)('esrgan-%s converted to ONNX', (model) => {
  const root = packageRoot(`@upscalerjs/esrgan-${model}`);
  const fixture = new Uint8Array(readFileSync(path.join(root, 'assets', 'fixture.png')));

  it.each([2, 3, 4] as const)('%i×: reproduces the package\'s own sample result.png (PSNR ≥ 35 dB)', async (scale) => {
    const theirs = await rgbOf(path.join(root, 'assets', 'samples', `${scale}x`, 'result.png'));
    const network = await networkOnly(model, scale, fixture);
    expect(network.length).toBe(theirs.length);
    const db = psnr(network, theirs);
    // The product continues the image's edges past the border (right colours there), so it departs
    // from the sample only within the receptive field of the border.
    const out = await upscaleWith(model, scale, fixture);
    const ours = await rgbOf(out.png);
    const border = Math.ceil(findUpscaler(UPSCALERS, model, scale).info.receptiveRadius + 1) * scale;
    const inner = psnr(interior(ours, out.width, out.height, border), interior(theirs, out.width, out.height, border));
    console.log(`PSNR esrgan-${model} ${scale}×: ${db.toFixed(2)} dB against the package's sample (${out.width}×${out.height}); as upscaled: ${psnr(ours, theirs).toFixed(2)} dB, ${inner.toFixed(2)} dB beyond the ${border}-px border`);
    expect(db).toBeGreaterThanOrEqual(35);
    expect(psnr(ours, theirs)).toBeGreaterThanOrEqual(35);
    expect(inner).toBeGreaterThanOrEqual(60);
    // The inverse: plain Lanczos resizing of the fixture is far from the network's result.
    const lanczos = await rgbOf(new Uint8Array(await sharp(fixture).resize(out.width, out.height, { kernel: 'lanczos3' }).png().toBuffer()));
    expect(psnr(lanczos, theirs)).toBeLessThan(db - 5);
  });
});

describe('8× (no sample shipped): against the original TensorFlow.js model', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(['slim', 'medium'] as const)('esrgan-%s 8× matches tfjs on a 24×24 crop', async (model) => {
    const root = packageRoot(`@upscalerjs/esrgan-${model}`);
    const dir = path.join(root, 'models', 'x8');
    const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const weights = readFileSync(path.join(dir, json.weightsManifest[0].paths[0]));
    const net = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) }));
    const crop = new Uint8Array(await sharp(path.join(root, 'assets', 'fixture.png')).removeAlpha().extract({ left: 40, top: 40, width: 24, height: 24 }).raw().toBuffer());
    const input = tf.tensor4d(Float32Array.from(crop), [1, 24, 24, 3]);
    const reference = tf.tidy(() => tf.clipByValue(net.predict(input) as tf.Tensor, 0, 255).round());
    const theirs = Uint8Array.from(await reference.data());
    tf.dispose([input, reference]);
    const png = new Uint8Array(await sharp(Buffer.from(crop), { raw: { width: 24, height: 24, channels: 3 } }).png().toBuffer());
    const db = psnr(await networkOnly(model, 8, png), theirs);
    console.log(`PSNR esrgan-${model} 8×: ${db.toFixed(2)} dB against @tensorflow/tfjs running the package's model (192×192)`);
    expect(db).toBeGreaterThanOrEqual(35);
  });
});
