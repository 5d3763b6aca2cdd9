/**
 * The int8 UNet: MatMul weights quantised per column, run by onnxruntime as DynamicQuantizeMatMul, close to
 * the fp32 prediction; made once, found again in the cache, and remade when its source changes.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { openSession, type Session, type SessionStats } from '../../../src/pipeline/backends/onnx';
import { int8GraphFor } from '../../../src/pipeline/quantize/int8Cache';
import { quantiseColumns } from '../../../src/pipeline/quantize/int8MatMul';
import { GaussianNoise } from '../../../src/pipeline/random/gaussian';
import { quietLog, tinyModel } from '../../helpers/fixtures';

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-int8-'));
  temps.push(dir);
  return dir;
}
const stats: SessionStats = { runs: 0, runMs: 0 };

async function predict(session: Session): Promise<Float32Array> {
  const noise = new GaussianNoise(11);
  const timestep = session.inputs.find((i) => i.name === 'timestep')?.type === 'int64' ? { type: 'int64' as const, data: BigInt64Array.of(400n), dims: [1] } : { type: 'float32' as const, data: Float32Array.of(400), dims: [1] };
  const out = await session.run({
    sample: { type: 'float32', data: noise.normal(4 * 8 * 8), dims: [1, 4, 8, 8] },
    timestep,
    encoder_hidden_states: { type: 'float32', data: noise.normal(77 * 32), dims: [1, 77, 32] },
  });
  return Object.values(out)[0].data as Float32Array;
}

function unetCopy(): string {
  const dir = tempDir();
  cpSync(path.join(tinyModel(), 'unet'), path.join(dir, 'unet'), { recursive: true });
  return path.join(dir, 'unet', 'model.onnx');
}

describe('int8 UNet', () => {
  it('quantises each column symmetrically within half a step of its scale', () => {
    const w = Float32Array.from([0.5, -2, -1, 1, 0.25, 0]);
    const { q, scales } = quantiseColumns(w, 2, 3);
    expect(Array.from(scales)).toEqual([1 / 127, 2 / 127, Math.fround(1 / 127)].map(Math.fround));
    for (let i = 0; i < w.length; i++) expect(Math.abs(q[i] * scales[i % 3] - w[i])).toBeLessThanOrEqual(scales[i % 3] / 2 + 1e-7);
    expect(q[1]).toBe(-127);
  });

  it('replaces the MatMuls with int8 weights and predicts close to fp32', async () => {
    const source = unetCopy();
    const cache = { root: tempDir(), minBytes: 0 };
    // The fixture's matrices are small: quantise them all.
    const file = int8GraphFor(source, quietLog, cache, 0);
    const graph = onnx.ModelProto.decode(readFileSync(file)).graph;
    const ops = (graph?.node ?? []).map((n) => n.opType);
    expect(ops).toContain('DynamicQuantizeMatMul');
    const fp32 = await openSession(source, { preference: 'cpu', stats, log: quietLog, graphCache: { root: undefined, minBytes: 0 } });
    const int8 = await openSession(file, { preference: 'cpu', stats, log: quietLog, graphCache: { root: undefined, minBytes: 0 } });
    const [a, b] = [await predict(fp32), await predict(int8)];
    await fp32.release();
    await int8.release();
    let signal = 0;
    let noise = 0;
    for (let i = 0; i < a.length; i++) {
      signal += a[i] * a[i];
      noise += (a[i] - b[i]) ** 2;
    }
    // Close (about 30 dB or better on this random fixture), and not identical: the weights did change.
    expect(noise).toBeGreaterThan(0);
    expect(10 * Math.log10(signal / noise)).toBeGreaterThan(25);
  });

  it('is made once, found in the cache, and remade when its source changes', () => {
    const source = unetCopy();
    const cache = { root: tempDir(), minBytes: 0 };
    const made: string[] = [];
    const log = (_level: string, message: string): void => {
      if (message.startsWith('made the int8 UNet')) made.push(message);
    };
    const first = int8GraphFor(source, log, cache);
    expect(int8GraphFor(source, log, cache)).toBe(first);
    expect(made).toHaveLength(1);
    const later = new Date(Date.now() + 60_000);
    utimesSync(source, later, later);
    const second = int8GraphFor(source, log, cache);
    expect(made).toHaveLength(2);
    expect(second).not.toBe(first);
    // The stale entry is gone: one int8 graph per source.
    const [sourceDir] = readdirSync(cache.root);
    expect(readdirSync(path.join(cache.root, sourceDir)).filter((e) => e.startsWith('int8-'))).toHaveLength(1);
  });
});
