/**
 * ControlNet and inpainting figures for `npm run bench`:
 * - a ControlNet's share of the denoising time and the pipeline's own overhead with it (tiny-random
 *   UNet + ControlNet with SD 1.5's residual shapes, 512², 20 steps, CFG);
 * - peak RSS of inpainting a small mask on a 2048² image, whole image vs "only masked", each in a
 *   fresh process (peak RSS only ever grows within one).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { decodeImage } from '../../src/pipeline/ops/decodeImage';
import { inpaint } from '../../src/pipeline/pipelines/inpaint';
import { txt2img } from '../../src/pipeline/pipelines/txt2img';
import { loadModel } from '../../src/pipeline/runtime/loadedModel';
import type { InpaintRequest, Txt2ImgRequest } from '../../src/shared/request';
import { writeControlNetFolder, writeModelFolder } from '../fixtures/onnx/modelFolder';

const TOKENIZER = path.resolve('assets/clip-tokenizer');
const RUNS = 3;

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

export async function benchControlNet(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'atelier-bench-cn-'));
  const modelDir = writeModelFolder(path.join(root, 'model'), { family: 'tiny-random', tokenizerSource: TOKENIZER, control: 'separate', scheduler: { _class_name: 'EulerDiscreteScheduler' } });
  const controlNetDir = writeControlNetFolder(path.join(root, 'Depth'), { family: 'tiny-random' });
  const image = new Uint8Array(await sharp({ create: { width: 512, height: 512, channels: 3, background: '#808080' } }).png().toBuffer());
  const base: Txt2ImgRequest = {
    kind: 'txt2img',
    modelDir,
    prompt: 'a lighthouse at dusk',
    negativePrompt: 'blurry',
    width: 512,
    height: 512,
    sampling: { sampler: 'euler', steps: 20, guidanceScale: 7.5, seed: 1 },
    previewEvery: 0,
    executionProvider: 'cpu',
  };
  const withControl: Txt2ImgRequest = { ...base, controls: [{ type: 'depth', image, scale: 1, start: 0, end: 1, controlNetDir }] };
  const model = await loadModel(modelDir, 'cpu', () => undefined);
  await txt2img(model, withControl); // warm-up
  const rows: Array<{ total: number; run: number; denoise: number; controlNet: number }> = [];
  for (let i = 0; i < RUNS; i++) {
    const before = model.stats.runMs;
    const start = performance.now();
    const out = await txt2img(model, withControl);
    rows.push({ total: performance.now() - start, run: model.stats.runMs - before, denoise: out.denoiseMs, controlNet: out.controlNetMs });
  }
  await model.release();
  const total = median(rows.map((r) => r.total));
  const run = median(rows.map((r) => r.run));
  const denoise = median(rows.map((r) => r.denoise));
  const controlNet = median(rows.map((r) => r.controlNet));
  console.log(`\nControlNet (tiny-random UNet + ControlNet, SD 1.5 residual shapes, 512², 20 steps, CFG; median of ${RUNS})`);
  console.log(`  total                  ${total.toFixed(1)} ms`);
  console.log(`  ControlNet runs        ${controlNet.toFixed(1)} ms = ${((controlNet / denoise) * 100).toFixed(1)} % of denoising (one ControlNet run per step)`);
  console.log(`  outside session.run    ${(total - run).toFixed(1)} ms (${(((total - run) / total) * 100).toFixed(2)} % of total; target ≤ 2 %; includes summing and feeding 13 residual tensors per step)`);
}

/** Child mode: one inpainting job, then print the process's peak RSS. */
export async function inpaintRssChild(mode: 'whole' | 'crop', modelDir: string): Promise<void> {
  const size = 2048;
  const rgb = Buffer.alloc(size * size * 3, 128);
  const init = await decodeImage(new Uint8Array(await sharp(rgb, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer()), 'initImage');
  const mask = new Uint8Array(size * size);
  for (let y = 900; y < 1100; y++) mask.fill(255, y * size + 900, y * size + 1100);
  const model = await loadModel(modelDir, 'cpu', () => undefined);
  const request: InpaintRequest = {
    kind: 'inpaint',
    modelDir,
    prompt: 'a red door',
    negativePrompt: '',
    initImage: new Uint8Array(1),
    mask: new Uint8Array(1),
    maskBlur: 4,
    strength: 1,
    sampling: { sampler: 'euler', steps: 2, guidanceScale: 1, seed: 1 },
    previewEvery: 0,
    executionProvider: 'cpu',
    onlyMasked: mode === 'crop' ? { padding: 32 } : undefined,
  };
  let latent = '';
  const start = performance.now();
  await inpaint(model, request, init, { width: size, height: size, data: mask }, { onStep: (_i, _n, _l, w, h) => (latent = `${w}×${h}`) });
  process.stdout.write(JSON.stringify({ peakMiB: process.resourceUsage().maxRSS / 1024, latent, ms: performance.now() - start }));
}

export async function benchInpaintMemory(benchScript: string): Promise<void> {
  const modelDir = writeModelFolder(path.join(mkdtempSync(path.join(os.tmpdir(), 'atelier-bench-inpaint-')), 'model'), { family: 'tiny-random', tokenizerSource: TOKENIZER, vaeEncoder: 'latent_sample', scheduler: { _class_name: 'EulerDiscreteScheduler' } });
  console.log('\nInpainting a 200×200 mask on a 2048² image (tiny-random model with VAE encoder, 2 steps, fresh process each)');
  const figures: Record<string, { peakMiB: number; latent: string; ms: number }> = {};
  for (const mode of ['crop', 'whole'] as const) {
    const { stdout } = await promisify(execFile)(process.execPath, [benchScript, `--inpaint-rss=${mode}`, modelDir], { maxBuffer: 1 << 20 });
    figures[mode] = JSON.parse(stdout) as { peakMiB: number; latent: string; ms: number };
    console.log(`  ${mode === 'crop' ? 'only masked ' : 'whole image '}  latents ${figures[mode].latent.padEnd(9)} peak RSS ${figures[mode].peakMiB.toFixed(0)} MiB, ${(figures[mode].ms / 1000).toFixed(1)} s`);
  }
  console.log(`  ratio                  whole/crop peak RSS ${(figures.whole.peakMiB / figures.crop.peakMiB).toFixed(1)}×`);
}
