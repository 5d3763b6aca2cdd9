/**
 * The canvas's layers cross to the worker as raw pixels (no PNG round trip): the same mask as raw
 * pixels or as a PNG gives the same image, and bad raw pixels are refused naming the field.
 */
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { buildJob } from '../../../src/host/jobs/buildJob';
import { decodeControlImage } from '../../../src/pipeline/ops/decodeImage';
import type { ImageInput } from '../../../src/shared/request';
import { oracleModel } from '../../helpers/fixtures';
import { testSupervisor } from '../../helpers/worker';

const { supervisor } = testSupervisor();
afterAll(() => supervisor.dispose());

const W = 72;
const H = 56;
const mask = Uint8Array.from({ length: W * H }, (_, i) => (i % W >= 24 && i % W < 48 && Math.floor(i / W) >= 16 ? 255 : 0));

async function initPng(): Promise<Uint8Array> {
  const rgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 7) % 251);
  return new Uint8Array(await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer());
}

const jobWith = (initImage: Uint8Array, maskInput: ImageInput) =>
  buildJob({
    modelDir: oracleModel(),
    prompt: 'a lighthouse at dusk',
    settings: { negativePrompt: '', sampler: 'euler', steps: 4, guidanceScale: 1, seed: 5, width: 64, height: 64, executionProvider: 'cpu', workingResolution: 'full', controlNetRoots: [] },
    source: { kind: 'inpaint', initImage, strength: 1, mask: maskInput, maskBlur: 0 },
    output: { dir: '/out' },
  });

describe('raw pixels across the worker edge', () => {
  it('an inpaint mask sent as raw grey pixels gives exactly the image the same mask as a PNG gives', async () => {
    const init = await initPng();
    const png = new Uint8Array(await sharp(mask, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer());
    const fromPng = await supervisor.generate(jobWith(init, png).request);
    const fromRaw = await supervisor.generate(jobWith(init, { width: W, height: H, channels: 1, data: mask }).request);
    expect(fromRaw.width).toBe(W);
    expect(Buffer.from(fromRaw.png).equals(Buffer.from(fromPng.png))).toBe(true);
  });

  it('raw pixels of the wrong size or channel count are refused by the job builder and by the worker, naming the mask', async () => {
    const init = await initPng();
    expect(() => jobWith(init, { width: W, height: H, channels: 1, data: mask.subarray(1) })).toThrow(/mask's pixels cannot be used: 72×56×1 pixels need 4032 bytes, got 4031/);
    expect(() => jobWith(init, { width: W, height: H, channels: 3, data: new Uint8Array(W * H * 3) })).toThrow(/must have 1 channel, got 3/);
    const forged = { ...jobWith(init, { width: W, height: H, channels: 1, data: mask }).request, mask: { width: W, height: H + 1, channels: 1 as const, data: mask } };
    await expect(supervisor.generate(forged)).rejects.toMatchObject({ code: 'INVALID_INPUT', argument: 'mask' });
  });

  it('a raw RGB control image decodes to the same pixels as its PNG; grey is expanded with a notice', async () => {
    const rgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 13) % 256);
    const png = new Uint8Array(await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer());
    const notices: string[] = [];
    const fromPng = await decodeControlImage(png, 'control 1 (depth) image', W, H, (m) => notices.push(m));
    const fromRaw = await decodeControlImage({ width: W, height: H, channels: 3, data: rgb }, 'control 1 (depth) image', W, H, (m) => notices.push(m));
    expect(Buffer.from(fromRaw.rgb).equals(Buffer.from(fromPng.rgb))).toBe(true);
    expect(notices).toEqual([]);
    const grey = await decodeControlImage({ width: W, height: H, channels: 1, data: mask }, 'control 1 (depth) image', W, H, (m) => notices.push(m));
    expect(Array.from(grey.rgb.subarray(0, 3 * W * 20)).filter((_, i) => i % 3 === 0)).toEqual(Array.from(mask.subarray(0, W * 20)));
    expect(notices).toEqual(['control 1 (depth) image is a greyscale image; it was expanded to RGB']);
    await expect(decodeControlImage({ width: W, height: H, channels: 4, data: new Uint8Array(W * H * 4) }, 'control 1 (depth) image', W, H, () => {})).rejects.toMatchObject({ code: 'INVALID_INPUT', argument: 'controlImage' });
  });
});
