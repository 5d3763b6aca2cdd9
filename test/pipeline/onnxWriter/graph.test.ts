/** The ONNX writer's streamed external data: written as weights are added, aligned, and loadable by onnxruntime. */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { openSession } from '../../../src/pipeline/backends/onnx';
import { Graph } from '../../../src/pipeline/onnxWriter/graph';
import { quietLog } from '../../helpers/fixtures';

const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Graph with streamed external data', () => {
  it('appends each large initializer to the data file as it is added, 4 KiB aligned, and onnxruntime loads the result', async () => {
    const folder = path.join(dir, 'a');
    rmSync(folder, { recursive: true, force: true });
    const data = path.join(dir, 'a.onnx_data');
    const g = new Graph({ file: data, location: 'a.onnx_data', minBytes: 1024 });
    g.input('x', 'float32', [1, 300]);
    const w1 = Float32Array.from({ length: 300 * 300 }, (_, i) => ((i % 7) - 3) / 100);
    const first = g.weight(w1, [300, 300]);
    // Written before encode: the file already holds the first weight.
    expect(statSync(data).size).toBe(300 * 300 * 4);
    w1.fill(99); // the caller may reuse its array: the streamed bytes are already on disk
    const bias = g.weight(Float32Array.from({ length: 300 }, (_, i) => i / 300), [300]);
    const w2 = g.weight(Float32Array.from({ length: 300 * 2 }, (_, i) => (i % 3) - 1), [300, 2]);
    const small = g.weight([0.5, -0.5], [2]);
    const h = g.op('Add', [g.op('MatMul', ['x', first]), bias]);
    g.op('Add', [g.op('MatMul', [h, w2]), small], {}, 'y');
    g.output('y', 'float32', [1, 2]);
    const encoded = g.encode(17);
    expect(encoded.external).toBeUndefined();
    const file = path.join(dir, 'a.onnx');
    writeFileSync(file, encoded.model);

    const model = onnx.ModelProto.decode(readFileSync(file));
    const entries = (model.graph?.initializer ?? []).map((t) => ({ name: t.name, external: Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value])) }));
    const streamed = entries.filter((e) => e.external.location === 'a.onnx_data');
    expect(streamed.map((e) => Number(e.external.offset) % 4096)).toEqual([0, 0, 0]);
    expect(entries.find((e) => e.name === small)?.external).toEqual({});

    const x = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i));
    const expected = [0, 1].map((o) => {
      let y = o === 0 ? 0.5 : -0.5;
      for (let j = 0; j < 300; j += 1) {
        let hj = j / 300;
        for (let i = 0; i < 300; i += 1) hj += x[i] * ((((i * 300 + j) % 7) - 3) / 100);
        y += hj * (((j * 2 + o) % 3) - 1);
      }
      return y;
    });
    const s = await openSession(file, { preference: 'cpu', stats: { runs: 0, runMs: 0 }, log: quietLog });
    const out = (await s.run({ x: { type: 'float32', data: x, dims: [1, 300] } })).y.data as Float32Array;
    await s.release();
    // float32 sums of 90 000 products against float64 ones.
    for (const o of [0, 1]) expect(Math.abs(out[o] - expected[o])).toBeLessThan(1e-5 * Math.abs(expected[o]) + 1e-3);
    // The inverse: the overwritten array (99s) would give something else entirely.
    expect(Math.abs(out[0])).toBeLessThan(1e5);
  });

  it('creates no data file when nothing reaches the threshold, and refuses a second external destination', () => {
    const data = path.join(dir, 'none.onnx_data');
    const g = new Graph({ file: data, location: 'none.onnx_data', minBytes: 1 << 20 });
    g.weight(new Float32Array(16), [16]);
    expect(() => g.encode(17, { location: 'other.bin' })).toThrow(/already streamed/);
    g.encode(17);
    expect(existsSync(data)).toBe(false);
  });
});
