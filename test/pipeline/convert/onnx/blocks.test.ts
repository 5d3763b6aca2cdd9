/** The SD building blocks as built for ONNX, against a direct JS computation on tiny tensors. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSession } from '../../../../src/pipeline/backends/onnx';
import { attentionLayer, resnet } from '../../../../src/pipeline/convert/onnx/blocks';
import { Builder } from '../../../../src/pipeline/convert/onnx/builder';
import { Graph } from '../../../../src/pipeline/onnxWriter/graph';
import { quietLog } from '../../../helpers/fixtures';
import { randomTensor, randomWeights } from '../../../helpers/randomSdWeights';

const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-blocks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Shapes = Map<string, readonly number[]>;

/** Builds a one-input graph with `body`, runs it on `x`, returns the output. */
async function runBlock(shapes: Shapes, x: Float32Array, dims: number[], body: (b: Builder, x: string) => Promise<string>, extra?: { name: string; data: Float32Array; dims: number[] }): Promise<Float32Array> {
  const g = new Graph();
  const b = new Builder(g, randomWeights(shapes), '', { precision: 'fp32' });
  const input = b.floatInput('x', dims);
  if (extra) b.floatInput(extra.name, extra.dims);
  b.floatOutput(await body(b, input), 'y', null);
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.onnx`);
  writeFileSync(file, g.encode(17).model);
  const s = await openSession(file, { preference: 'cpu', stats: { runs: 0, runMs: 0 }, log: quietLog });
  const feeds = { x: { type: 'float32' as const, data: x, dims }, ...(extra ? { [extra.name]: { type: 'float32' as const, data: extra.data, dims: extra.dims } } : {}) };
  const out = (await s.run(feeds)).y.data as Float32Array;
  await s.release();
  return out;
}

const w = (shapes: Shapes, key: string): Float32Array => randomTensor(key, shapes.get(key) ?? []);
const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

function groupNormJs(x: Float32Array, C: number, HW: number, G: number, eps: number, gamma: Float32Array, beta: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  const per = C / G;
  for (let g = 0; g < G; g += 1) {
    let mean = 0;
    for (let i = g * per * HW; i < (g + 1) * per * HW; i += 1) mean += x[i];
    mean /= per * HW;
    let variance = 0;
    for (let i = g * per * HW; i < (g + 1) * per * HW; i += 1) variance += (x[i] - mean) ** 2;
    variance /= per * HW;
    for (let c = g * per; c < (g + 1) * per; c += 1) for (let p = 0; p < HW; p += 1) out[c * HW + p] = ((x[c * HW + p] - mean) / Math.sqrt(variance + eps)) * gamma[c] + beta[c];
  }
  return out;
}

function conv3x3Js(x: Float32Array, cin: number, H: number, W: number, weight: Float32Array, bias: Float32Array, cout: number, k: number): Float32Array {
  const out = new Float32Array(cout * H * W);
  const pad = (k - 1) / 2;
  for (let o = 0; o < cout; o += 1)
    for (let y = 0; y < H; y += 1)
      for (let xx = 0; xx < W; xx += 1) {
        let sum = bias[o];
        for (let i = 0; i < cin; i += 1)
          for (let dy = 0; dy < k; dy += 1)
            for (let dx = 0; dx < k; dx += 1) {
              const sy = y + dy - pad;
              const sx = xx + dx - pad;
              if (sy >= 0 && sy < H && sx >= 0 && sx < W) sum += weight[((o * cin + i) * k + dy) * k + dx] * x[(i * H + sy) * W + sx];
            }
        out[(o * H + y) * W + xx] = sum;
      }
  return out;
}

const silu = (v: Float32Array): Float32Array => v.map((t) => t / (1 + Math.exp(-t)));

/** y = x·Wᵀ + b for x [N, inp], W [out, inp]. */
function linearJs(x: Float32Array, N: number, inp: number, weight: Float32Array, out: number, bias?: Float32Array): Float32Array {
  const y = new Float32Array(N * out);
  for (let n = 0; n < N; n += 1) for (let o = 0; o < out; o += 1) {
    let s = bias ? bias[o] : 0;
    for (let i = 0; i < inp; i += 1) s += x[n * inp + i] * weight[o * inp + i];
    y[n * out + o] = s;
  }
  return y;
}

describe('SD blocks in ONNX vs direct computation', () => {
  it('GroupNorm (32 groups of 2 channels) matches the definition, and differs from a wrong group count (the inverse)', async () => {
    const shapes: Shapes = new Map([['gn.weight', [64]], ['gn.bias', [64]]]);
    const x = randomTensor('x', [1, 64, 3, 3]).map((v) => v * 5 + 1);
    const got = await runBlock(shapes, x, [1, 64, 3, 3], (b, input) => b.groupNorm(input, 'gn', 32, 1e-5));
    const want = groupNormJs(x, 64, 9, 32, 1e-5, w(shapes, 'gn.weight'), w(shapes, 'gn.bias'));
    expect(maxDiff(got, want)).toBeLessThan(1e-5);
    expect(maxDiff(got, groupNormJs(x, 64, 9, 16, 1e-5, w(shapes, 'gn.weight'), w(shapes, 'gn.bias')))).toBeGreaterThan(1e-2);
  });

  it('multi-head attention (2 heads, scale folded into Q) matches softmax(QKᵀ/√d)V, and its head split matters (the inverse)', async () => {
    const C = 8;
    const N = 5;
    const M = 3;
    const shapes: Shapes = new Map<string, readonly number[]>([
      ['a.to_q.weight', [C, C]],
      ['a.to_k.weight', [C, 4]],
      ['a.to_v.weight', [C, 4]],
      ['a.to_out.0.weight', [C, C]],
      ['a.to_out.0.bias', [C]],
    ]);
    const x = randomTensor('x', [1, N, C]).map((v) => v * 3);
    const ctx = randomTensor('ctx', [1, M, 4]).map((v) => v * 3);
    const got = await runBlock(shapes, x, [1, N, C], (b, input) => attentionLayer(b, input, 'a', 2, C, 'ctx'), { name: 'ctx', data: ctx, dims: [1, M, 4] });
    const reference = (heads: number): Float32Array => {
      const q = linearJs(x, N, C, w(shapes, 'a.to_q.weight'), C);
      const k = linearJs(ctx, M, 4, w(shapes, 'a.to_k.weight'), C);
      const v = linearJs(ctx, M, 4, w(shapes, 'a.to_v.weight'), C);
      const d = C / heads;
      const o = new Float32Array(N * C);
      for (let h = 0; h < heads; h += 1)
        for (let n = 0; n < N; n += 1) {
          const s = Array.from({ length: M }, (_, m) => {
            let dot = 0;
            for (let j = 0; j < d; j += 1) dot += q[n * C + h * d + j] * k[m * C + h * d + j];
            return dot / Math.sqrt(d);
          });
          const max = Math.max(...s);
          const e = s.map((t) => Math.exp(t - max));
          const z = e.reduce((a, c) => a + c, 0);
          for (let j = 0; j < d; j += 1) o[n * C + h * d + j] = e.reduce((acc, p, m) => acc + (p / z) * v[m * C + h * d + j], 0);
        }
      return linearJs(o, N, C, w(shapes, 'a.to_out.0.weight'), C, w(shapes, 'a.to_out.0.bias'));
    };
    expect(maxDiff(got, reference(2))).toBeLessThan(1e-4);
    expect(maxDiff(got, reference(1))).toBeGreaterThan(1e-3);
  });

  it('a ResnetBlock2D with a time embedding and a 1×1 shortcut matches GN → SiLU → conv (+ t) → GN → SiLU → conv + shortcut', async () => {
    const [cin, cout, H, W, T] = [32, 64, 4, 4, 16];
    const shapes: Shapes = new Map<string, readonly number[]>([
      ['r.norm1.weight', [cin]], ['r.norm1.bias', [cin]], ['r.conv1.weight', [cout, cin, 3, 3]], ['r.conv1.bias', [cout]],
      ['r.time_emb_proj.weight', [cout, T]], ['r.time_emb_proj.bias', [cout]],
      ['r.norm2.weight', [cout]], ['r.norm2.bias', [cout]], ['r.conv2.weight', [cout, cout, 3, 3]], ['r.conv2.bias', [cout]],
      ['r.conv_shortcut.weight', [cout, cin, 1, 1]], ['r.conv_shortcut.bias', [cout]],
    ]);
    const x = randomTensor('x', [1, cin, H, W]).map((v) => v * 2);
    const t = randomTensor('t', [1, T]);
    const got = await runBlock(shapes, x, [1, cin, H, W], (b, input) => resnet(b, input, 'r', 1e-5, 'temb'), { name: 'temb', data: t, dims: [1, T] });
    let h = conv3x3Js(silu(groupNormJs(x, cin, H * W, 32, 1e-5, w(shapes, 'r.norm1.weight'), w(shapes, 'r.norm1.bias'))), cin, H, W, w(shapes, 'r.conv1.weight'), w(shapes, 'r.conv1.bias'), cout, 3);
    const tp = linearJs(t, 1, T, w(shapes, 'r.time_emb_proj.weight'), cout, w(shapes, 'r.time_emb_proj.bias'));
    h = h.map((v, i) => v + tp[Math.floor(i / (H * W))]);
    h = conv3x3Js(silu(groupNormJs(h, cout, H * W, 32, 1e-5, w(shapes, 'r.norm2.weight'), w(shapes, 'r.norm2.bias'))), cout, H, W, w(shapes, 'r.conv2.weight'), w(shapes, 'r.conv2.bias'), cout, 3);
    const sc = conv3x3Js(x, cin, H, W, w(shapes, 'r.conv_shortcut.weight'), w(shapes, 'r.conv_shortcut.bias'), cout, 1);
    const want = h.map((v, i) => v + sc[i]);
    expect(maxDiff(got, want)).toBeLessThan(1e-4);
    // The inverse: the time embedding counts.
    const noTime = await runBlock(shapes, x, [1, cin, H, W], (b, input) => resnet(b, input, 'r', 1e-5, 'temb'), { name: 'temb', data: new Float32Array(T), dims: [1, T] });
    expect(maxDiff(noTime, want)).toBeGreaterThan(1e-3);
  });
});
