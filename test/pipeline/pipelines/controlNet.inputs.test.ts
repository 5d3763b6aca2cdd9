/**
 * ControlNet with real interfaces (tiny-random, SD 1.5 residual names and shapes) and every bad
 * input the issue lists: each gets an error that names the problem and the fix, or a notice.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findControlNets, inspectControlNetFolder } from '../../../src/pipeline/models/controlNetFolder';
import { controlTypeFromName } from '../../../src/shared/controlNames';
import { residualShapes } from '../../../src/pipeline/models/sd/unetInputs';
import { txt2img } from '../../../src/pipeline/pipelines/txt2img';
import { loadModel, type LoadedModel } from '../../../src/pipeline/runtime/loadedModel';
import type { ControlInput, Txt2ImgRequest } from '../../../src/shared/request';
import { residualNames, SD15_RESIDUAL_CHANNELS } from '../../fixtures/onnx/controlNets';
import { writeControlNetFolder } from '../../fixtures/onnx/modelFolder';
import { oracleModel, quietLog, tinyModel } from '../../helpers/fixtures';
import { blockImage, maxDiff, pngOf } from '../../helpers/images';

const SIZE = 64;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'atelier-cn-inputs-'));

function request(modelDir: string, controls: ControlInput[]): Txt2ImgRequest {
  return {
    kind: 'txt2img',
    modelDir,
    prompt: 'a dancer',
    negativePrompt: '',
    width: SIZE,
    height: SIZE,
    sampling: { sampler: 'euler', steps: 4, guidanceScale: 1, seed: 9 },
    previewEvery: 0,
    executionProvider: 'cpu',
    controls,
  };
}

describe('tiny-random ControlNet with SD 1.5 residual names and shapes', () => {
  let model: LoadedModel;
  const net = writeControlNetFolder(path.join(scratch, 'tiny', 'OpenPose'), { family: 'tiny-random' });
  beforeAll(async () => {
    model = await loadModel(tinyModel({ control: 'separate' }), 'cpu', quietLog);
  });
  afterAll(async () => model.release());

  it('returns 12 down residuals and the mid residual at the shapes of the table', async () => {
    const cn = await model.controlNet(inspectControlNetFolder(net));
    expect(cn.residualOutputs.map((o) => o.name)).toEqual(residualNames());
    const residuals = await cn.run({ sample: new Float32Array(2 * 4 * 8 * 8), batch: 2, height: 8, width: 8, timestep: 500, encoderHiddenStates: new Float32Array(2 * 77 * 32), seqLength: 77, cond: new Float32Array(2 * 3 * SIZE * SIZE).fill(0.5), scale: 1 });
    const dims = residuals.map((r) => r.dims);
    const table = [[320, 8], [320, 8], [320, 8], [320, 4], [640, 4], [640, 4], [640, 2], [1280, 2], [1280, 2], [1280, 1], [1280, 1], [1280, 1], [1280, 1]];
    expect(dims).toEqual(table.map(([c, h]) => [2, c, h, h]));
    // The zero residuals the UNet gets outside the window have the same shapes.
    const unet = await model.residualUnet();
    expect(unet && residualShapes(unet.residualInputs, 2, 8, 8)).toEqual(dims);
    expect(SD15_RESIDUAL_CHANNELS).toHaveLength(12);
  });

  it('steers a txt2img run: scale 1 moves the image, repeated scale-0 runs are identical', async () => {
    const image = await pngOf(blockImage(SIZE, SIZE, 4), SIZE, SIZE);
    const control = (scale: number): ControlInput => ({ type: 'openpose', image, scale, start: 0, end: 1, controlNetDir: net });
    const none = await txt2img(model, request(model.folder.dir, []));
    const zero = await txt2img(model, request(model.folder.dir, [control(0)]));
    const one = await txt2img(model, request(model.folder.dir, [control(1)]));
    // The controlnet/ UNet with zero residuals is a different random graph from unet/, so compare zero-scale runs with each other.
    const zeroAgain = await txt2img(model, request(model.folder.dir, [control(0)]));
    expect(maxDiff(zero.image, zeroAgain.image)).toBe(0);
    expect(maxDiff(one.image, zero.image)).toBeGreaterThan(1e-3);
    expect(none.controlNets).toEqual([]);
    expect(one.image.every(Number.isFinite)).toBe(true);
  });
});

describe('ControlNet types from names and folders', () => {
  it.each([
    ['lllyasviel/control_v11p_sd15_openpose', 'openpose'],
    ['lllyasviel/control_v11f1p_sd15_depth', 'depth'],
    ['lllyasviel/control_v11p_sd15_scribble', 'scribble'],
    ['lllyasviel/control_v11p_sd15_lineart', 'lineart'],
    ['lllyasviel/control_v11p_sd15_canny', 'canny'],
    ['lllyasviel/control_v11p_sd15_softedge', 'softedge'],
    ['OpenPose', 'openpose'],
    ['Depth', 'depth'],
    ['HED', 'softedge'],
    ['MLSD', 'mlsd'],
    ['Seg', 'seg'],
    ['my-model', undefined],
  ])('%s → %s', (name, type) => {
    expect(controlTypeFromName(name)).toBe(type);
  });

  it('reads config.json before the folder name, and lists a folder of ControlNets', () => {
    const root = path.join(scratch, 'types');
    writeControlNetFolder(path.join(root, 'first'), { family: 'oracle', name: 'lllyasviel/control_v11p_sd15_canny' });
    writeControlNetFolder(path.join(root, 'Depth'), { family: 'oracle' });
    expect(findControlNets([root]).map((c) => [path.basename(c.dir), c.type])).toEqual([
      ['Depth', 'depth'],
      ['first', 'canny'],
    ]);
    expect(findControlNets([path.join(root, 'Depth')]).map((c) => c.type)).toEqual(['depth']);
  });
});

describe('bad ControlNet input gets a clear error and loses nothing', () => {
  let model: LoadedModel;
  let plain: LoadedModel;
  let image: Uint8Array;
  const depth = writeControlNetFolder(path.join(scratch, 'bad', 'depth'), { family: 'oracle' });
  beforeAll(async () => {
    model = await loadModel(oracleModel({ control: 'separate' }), 'cpu', quietLog);
    plain = await loadModel(oracleModel(), 'cpu', quietLog);
    image = await pngOf(blockImage(SIZE, SIZE, 2), SIZE, SIZE);
  });
  afterAll(async () => {
    await model.release();
    await plain.release();
  });
  const depthControl = (overrides: Partial<ControlInput> = {}): ControlInput => ({ type: 'depth', image, scale: 1, start: 0, end: 1, controlNetDir: depth, ...overrides });

  it('a ControlNet built for another text width (cross-attention) is refused', async () => {
    const wide = writeControlNetFolder(path.join(scratch, 'bad', 'wide-depth'), { family: 'oracle', contextWidth: 24 });
    await expect(txt2img(model, request(model.folder.dir, [depthControl({ controlNetDir: wide })]))).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('expects 24-wide text embeddings but') });
  });

  it('a ControlNet with another residual count (an SDXL one) is refused', async () => {
    const xl = writeControlNetFolder(path.join(scratch, 'bad', 'xl-depth'), { family: 'oracle', channels: SD15_RESIDUAL_CHANNELS.slice(0, 9) });
    await expect(txt2img(model, request(model.folder.dir, [depthControl({ controlNetDir: xl })]))).rejects.toMatchObject({ message: expect.stringContaining('returns 10 residuals but the model\'s ControlNet UNet takes 13') });
  });

  it('a separate ControlNet needs the model\'s controlnet/ UNet', async () => {
    await expect(txt2img(plain, request(plain.folder.dir, [depthControl()]))).rejects.toMatchObject({ code: 'CONTROLNET_UNET_MISSING', message: expect.stringContaining('has no controlnet/model.onnx') });
  });

  it('16-bit and CMYK control images are refused; grey and other sizes are converted with a notice', async () => {
    const sixteen = new Uint8Array(await sharp(Buffer.from(blockImage(SIZE, SIZE, 1)), { raw: { width: SIZE, height: SIZE, channels: 3 } }).toColourspace('rgb16').png().toBuffer());
    await expect(txt2img(model, request(model.folder.dir, [depthControl({ image: sixteen })]))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('16-bit image; ControlNet images must be 8-bit RGB') });
    const cmyk = new Uint8Array(await sharp(Buffer.from(blockImage(SIZE, SIZE, 1)), { raw: { width: SIZE, height: SIZE, channels: 3 } }).toColourspace('cmyk').jpeg().toBuffer());
    await expect(txt2img(model, request(model.folder.dir, [depthControl({ image: cmyk })]))).rejects.toMatchObject({ message: expect.stringContaining('CMYK') });
    const grey = await pngOf(new Uint8Array(32 * 32).fill(128), 32, 32, 1);
    const out = await txt2img(model, request(model.folder.dir, [depthControl({ image: grey })]));
    expect(out.warnings).toEqual(['control 1 (depth) image is a greyscale image; it was expanded to RGB', 'control 1 (depth) image is 32×32 but the output is 64×64; it was resized to fit']);
  });

  it.each([
    [{ scale: -1 }, 'scale must be from 0 to 5'],
    [{ scale: Number.NaN }, 'got NaN'],
    [{ start: 0.6, end: 0.4 }, '0 ≤ start < end ≤ 1, got start 0.6, end 0.4'],
    [{ end: 1.5 }, 'got start 0, end 1.5'],
    [{ type: 'pose' as ControlInput['type'] }, 'type must be one of openpose, depth'],
    [{ image: new Uint8Array(0) }, 'image must be the bytes of a PNG'],
  ])('%o is refused before anything runs', async (overrides, message) => {
    await expect(txt2img(model, request(model.folder.dir, [depthControl(overrides)]))).rejects.toMatchObject({ code: 'INVALID_INPUT', argument: 'controls', message: expect.stringContaining(message) });
  });

  it('a type with no ControlNet under the roots names the setting to fix, and the missing type for the host', async () => {
    await expect(txt2img(model, { ...request(model.folder.dir, [depthControl({ type: 'openpose', controlNetDir: undefined })]), controlNetRoots: [path.join(scratch, 'bad')] })).rejects.toMatchObject({
      code: 'CONTROLNET_MISSING',
      argument: 'openpose',
      message: expect.stringContaining('no openpose ControlNet was found under'),
    });
  });

  it('a folder that is not a ControlNet, or a pickle, is refused', async () => {
    await expect(txt2img(model, request(model.folder.dir, [depthControl({ controlNetDir: scratch })]))).rejects.toMatchObject({ code: 'MODEL_MISSING_FILE', message: expect.stringContaining('has no model.onnx') });
    await expect(txt2img(model, request(model.folder.dir, [depthControl({ controlNetDir: path.join(scratch, 'missing') })]))).rejects.toMatchObject({ message: expect.stringContaining('does not exist') });
  });
});
