/** The TF.js layers → ONNX converter on hand-made models: layout maths, and refusals that name the layer. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSession } from '../../src/pipeline/backends/onnx';
import { ConversionError, convertLayersModel, type LayersModelJson } from '../../src/build/tfjsLayersToOnnx';
import { hwioToOihw } from '../../src/build/tfjsWeights';
import { quietLog } from '../helpers/fixtures';

type Layer = { class_name: string; name: string; config: Record<string, unknown>; inbound_nodes: [string, number, number, object][][] };

function model(layers: Layer[], weights: { name: string; shape: number[] }[]): LayersModelJson {
  return {
    modelTopology: { model_config: { class_name: 'Functional', config: { layers, input_layers: [['LR', 0, 0]], output_layers: [[layers[layers.length - 1].name, 0, 0]] } } },
    weightsManifest: [{ paths: ['w.bin'], weights: weights.map((w) => ({ ...w, dtype: 'float32' })) }],
  };
}
const input: Layer = { class_name: 'InputLayer', name: 'LR', config: { batch_input_shape: [null, null, null, 3] }, inbound_nodes: [] };
const conv = (name: string, from: string, filters: number, k: number, padding = 'same'): Layer => ({
  class_name: 'Conv2D',
  name,
  config: { filters, kernel_size: [k, k], strides: [1, 1], dilation_rate: [1, 1], groups: 1, padding, activation: 'linear', use_bias: true, data_format: 'channels_last' },
  inbound_nodes: [[[from, 0, 0, {}]]],
});

describe('TF.js layers → ONNX', () => {
  it('HWIO kernels become OIHW', () => {
    // kh=1, kw=2, in=2, out=3: value = 100·y + 10·x… encoded as (x, i, o) → x*100 + i*10 + o.
    const hwio = Float32Array.from({ length: 12 }, (_, n) => {
      const o = n % 3;
      const i = Math.floor(n / 3) % 2;
      const x = Math.floor(n / 6);
      return x * 100 + i * 10 + o;
    });
    const oihw = hwioToOihw(hwio, [1, 2, 2, 3]);
    // [o][i][0][x]
    expect([...oihw.subarray(0, 4)]).toEqual([0, 100, 10, 110]);
    expect([...oihw.subarray(8, 12)]).toEqual([2, 102, 12, 112]);
  });

  it('a 1×1 conv, a concat, an add and a 2× nearest upsampling compute what Keras would', async () => {
    // conv: out = 2·R + G − B + 1 (1 channel); concat [x(3), conv(1)] → 4 ch; conv2 1×1 → 3 ch = first three; add x; upsample 2.
    const layers: Layer[] = [
      input,
      conv('C1', 'LR', 1, 1),
      { class_name: 'Concatenate', name: 'CAT', config: { axis: 3 }, inbound_nodes: [[['LR', 0, 0, {}], ['C1', 0, 0, {}]]] },
      conv('C2', 'CAT', 3, 1, 'valid'),
      { class_name: 'Add', name: 'ADD', config: {}, inbound_nodes: [[['C2', 0, 0, {}], ['LR', 0, 0, {}]]] },
      { class_name: 'Activation', name: 'RELU', config: { activation: 'relu' }, inbound_nodes: [[['ADD', 0, 0, {}]]] },
      { class_name: 'UpSampling2D', name: 'UP', config: { size: [2, 2], interpolation: 'nearest' }, inbound_nodes: [[['RELU', 0, 0, {}]]] },
    ];
    const c1k = [2, 1, -1];
    const c2k = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]; // HWIO [1,1,4,3]: channel i → o when i = o
    const data = Float32Array.from([...c1k, 1, ...c2k, 0, 0, 0]);
    const m = model(layers, [
      { name: 'C1/kernel', shape: [1, 1, 3, 1] },
      { name: 'C1/bias', shape: [1] },
      { name: 'C2/kernel', shape: [1, 1, 4, 3] },
      { name: 'C2/bias', shape: [3] },
    ]);
    const { encoded, receptiveRadius } = convertLayersModel(m, () => new Uint8Array(data.buffer));
    expect(receptiveRadius).toBe(0); // 1×1 convolutions only
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'atelier-conv-')), 'model.onnx');
    writeFileSync(file, encoded.model);
    const session = await openSession(file, { preference: 'cpu', stats: { runs: 0, runMs: 0 }, log: quietLog });
    // One pixel (R, G, B) = (1, -5, 3): out = relu(2x) = (2, 0, 6), upsampled to 2×2.
    const out = await session.run({ LR: { type: 'float32', data: Float32Array.of(1, -5, 3), dims: [1, 3, 1, 1] } });
    expect(out.SR.dims).toEqual([1, 3, 2, 2]);
    expect([...(out.SR.data as Float32Array)]).toEqual([2, 2, 2, 2, 0, 0, 0, 0, 6, 6, 6, 6]);
    await session.release();
  });

  it('refuses what it does not support, naming the layer', () => {
    const weights = () => new Uint8Array(0);
    expect(() => convertLayersModel(model([input, { class_name: 'Lambda', name: 'L1', config: {}, inbound_nodes: [[['LR', 0, 0, {}]]] }], []), weights)).toThrow(new ConversionError('layer L1 is a Lambda, which the converter does not support'));
    expect(() => convertLayersModel(model([input, { ...conv('C', 'LR', 1, 3), config: { ...conv('C', 'LR', 1, 3).config, strides: [2, 2] } }], []), weights)).toThrow('layer C: only stride 1');
    expect(() => convertLayersModel(model([input, conv('C', 'LR', 1, 1)], [{ name: 'C/kernel', shape: [1, 1, 3, 1] }, { name: 'C/bias', shape: [1] }]), () => new Uint8Array(8))).toThrow('runs past the end of its shards');
  });
});
