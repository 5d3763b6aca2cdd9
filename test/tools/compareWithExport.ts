/**
 * Dev tool (not CI): builds Atelier's SD graphs from a diffusers safetensors folder and compares each with the
 * diffusers ONNX export of the same weights on identical inputs. Run under `flock /tmp/bigmem.lock`.
 *   node compare.js convert <st-folder> <out-folder> <export-folder>   write the ONNX folder (+ tokenizer etc.)
 *   node compare.js compare <ours> <export> <component> [latent]         max abs diff and PSNR for one component
 *   node compare.js unet-step <folder> <latent>                          load + 3 UNet runs, batch 2, times and peak RSS
 */
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { writeOnnxFolder } from '../../src/pipeline/convert/onnx/writeOnnxFolder';
import { diffusersFolderWeights } from '../helpers/diffusersWeights';
import { SD15_SPEC } from '../helpers/sdSpecs';

function randn(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = (): number => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 1) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

function inputs(component: string, latent: number): Record<string, ort.Tensor> {
  if (component === 'text_encoder') {
    const ids = new Int32Array(77).fill(49407);
    [49406, 320, 1929, 539, 320, 3293, 530, 518, 2117].forEach((v, i) => (ids[i] = v));
    return { input_ids: new ort.Tensor('int32', ids, [1, 77]) };
  }
  if (component === 'unet') {
    return {
      sample: new ort.Tensor('float32', randn(2 * 4 * latent * latent, 1), [2, 4, latent, latent]),
      timestep: new ort.Tensor('float32', Float32Array.from([981, 981]), [2]),
      encoder_hidden_states: new ort.Tensor('float32', randn(2 * 77 * 768, 2), [2, 77, 768]),
    };
  }
  if (component === 'vae_decoder') return { latent_sample: new ort.Tensor('float32', randn(4 * latent * latent, 3), [1, 4, latent, latent]) };
  const side = latent * 8;
  return { sample: new ort.Tensor('float32', randn(3 * side * side, 4).map((v) => Math.tanh(v)), [1, 3, side, side]) };
}

/** The export's VAE encoder samples with an unseeded RandomNormalLike; scale 1e-30 leaves its mean (ORT refuses 0). */
function exportGraph(folder: string, component: string): string {
  const file = path.join(folder, component, 'model.onnx');
  if (component !== 'vae_encoder') return file;
  const model = onnx.ModelProto.decode(readFileSync(file));
  for (const node of model.graph?.node ?? []) {
    if (node.opType !== 'RandomNormalLike') continue;
    node.attribute = (node.attribute ?? []).filter((a) => a.name !== 'scale');
    node.attribute.push({ name: 'scale', type: onnx.AttributeProto.AttributeType.FLOAT, f: 1e-30 });
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'i16g-vaeenc-'));
  writeFileSync(path.join(dir, 'model.onnx'), onnx.ModelProto.encode(model).finish());
  return path.join(dir, 'model.onnx');
}

async function run(file: string, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(file, { executionMode: 'sequential', intraOpNumThreads: 2 });
  const result = await session.run(feeds);
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(result)) out[k] = new Float32Array(v.data as Float32Array);
  await session.release();
  return out;
}

function compare(ours: Float32Array, ref: Float32Array): string {
  let max = 0;
  let se = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < ref.length; i += 1) {
    const d = Math.abs(ours[i] - ref[i]);
    max = Math.max(max, d);
    se += d * d;
    lo = Math.min(lo, ref[i]);
    hi = Math.max(hi, ref[i]);
  }
  const rmse = Math.sqrt(se / ref.length);
  return `max|Δ| ${max.toExponential(3)}, rmse ${rmse.toExponential(3)}, range ${(hi - lo).toFixed(3)}, PSNR ${(20 * Math.log10((hi - lo) / rmse)).toFixed(1)} dB`;
}

async function main(): Promise<void> {
  const [mode, a, b, c, d] = process.argv.slice(2);
  if (mode === 'convert') {
    const t0 = Date.now();
    let last = '';
    await writeOnnxFolder(diffusersFolderWeights(a), SD15_SPEC, b, {
      precision: 'fp32',
      onProgress: (p) => {
        if (p.stage !== last) console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${p.stage} (${p.total} tensors)`);
        last = p.stage;
      },
    });
    for (const extra of ['tokenizer', 'scheduler']) cpSync(path.join(c, extra), path.join(b, extra), { recursive: true });
    copyFileSync(path.join(c, 'model_index.json'), path.join(b, 'model_index.json'));
    console.log(`converted in ${((Date.now() - t0) / 1000).toFixed(1)} s; peak RSS ${(process.resourceUsage().maxRSS / 1024 / 1024).toFixed(2)} GiB`);
    return;
  }
  if (mode === 'compare') {
    const latent = Number(d ?? 32);
    const feeds = inputs(c, latent);
    const ref = await run(exportGraph(b, c), feeds);
    const ours = await run(path.join(a, c, 'model.onnx'), feeds);
    for (const name of Object.keys(ref)) console.log(`${c}.${name} ${existsSync(a) ? compare(ours[name], ref[name]) : ''}`);
    return;
  }
  if (mode === 'unet-step') {
    const latent = Number(b ?? 64);
    const t0 = Date.now();
    const session = await ort.InferenceSession.create(path.join(a, 'unet', 'model.onnx'), { executionMode: 'sequential', intraOpNumThreads: 2 });
    const load = (Date.now() - t0) / 1000;
    const times: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const s = Date.now();
      await session.run(inputs('unet', latent));
      times.push((Date.now() - s) / 1000);
    }
    console.log(`${a}: load ${load.toFixed(1)} s, runs ${times.map((t) => t.toFixed(1)).join(' / ')} s, peak RSS ${(process.resourceUsage().maxRSS / 1024 / 1024).toFixed(2)} GiB`);
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
