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
import { packageRoot } from '../../../src/pipeline/convert/builtinPackages';
import { upscaleImage, type UpscaledImage } from '../../../src/pipeline/upscale/upscaleImage';
import { findUpscaler } from '../../../src/pipeline/upscale/upscalers';
import type { UpscaleFactor, UpscalerModel } from '../../../src/shared/request';
import { quietLog } from '../../helpers/fixtures';

const UPSCALERS = path.resolve('dist/upscalers');
const sessions = new Map<string, Session>();

/** Upscales with the converted model (sessions kept for the file). */
async function upscaleWith(model: UpscalerModel, scale: UpscaleFactor, image: Uint8Array): Promise<UpscaledImage> {
  const { file, info } = findUpscaler(UPSCALERS, model, scale);
  let s = sessions.get(file);
  if (!s) {
    s = await openSession(file, { preference: 'cpu', stats: { runs: 0, runMs: 0 }, log: quietLog });
    sessions.set(file, s);
  }
  return upscaleImage(s, { image, scale, model, executionProvider: 'cpu' }, info.receptiveRadius);
}
afterAll(async () => {
  for (const s of sessions.values()) await s.release();
});

function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / a.length));
}

async function rgbOf(png: Uint8Array | string): Promise<Uint8Array> {
  return new Uint8Array(await sharp(png).removeAlpha().raw().toBuffer());
}

describe.each(['slim', 'medium'] as const)('esrgan-%s converted to ONNX', (model) => {
  const root = packageRoot(`@upscalerjs/esrgan-${model}`);
  const fixture = new Uint8Array(readFileSync(path.join(root, 'assets', 'fixture.png')));

  it.each([2, 3, 4] as const)('%i×: reproduces the package\'s own sample result.png (PSNR ≥ 35 dB)', async (scale) => {
    const out = await upscaleWith(model, scale, fixture);
    const ours = await rgbOf(out.png);
    const theirs = await rgbOf(path.join(root, 'assets', 'samples', `${scale}x`, 'result.png'));
    expect(ours.length).toBe(theirs.length);
    const db = psnr(ours, theirs);
    console.log(`PSNR esrgan-${model} ${scale}×: ${db.toFixed(2)} dB against the package's sample (${out.width}×${out.height})`);
    expect(db).toBeGreaterThanOrEqual(35);
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
    const out = await upscaleWith(model, 8, png);
    const db = psnr(await rgbOf(out.png), theirs);
    console.log(`PSNR esrgan-${model} 8×: ${db.toFixed(2)} dB against @tensorflow/tfjs running the package's model (192×192)`);
    expect(db).toBeGreaterThanOrEqual(35);
  });
});
