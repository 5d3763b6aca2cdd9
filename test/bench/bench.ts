/**
 * `npm run bench`: speed and memory figures (never asserted in tests). Tiny-random model, 64×64
 * latents (512×512 output), 20 steps, CFG on. Prints time inside session.run vs everything else.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkerSupervisor } from '../../src/host/worker/workerSupervisor';
import { txt2img } from '../../src/pipeline/pipelines/txt2img';
import { loadModel } from '../../src/pipeline/runtime/loadedModel';
import type { Txt2ImgRequest } from '../../src/shared/request';
import { writeModelFolder } from '../fixtures/onnx/modelFolder';

import { benchCanvas } from './canvasBench';
import { benchControlNet, benchInpaintMemory, inpaintRssChild } from './controlNetBench';
import { benchUpscale } from './upscaleBench';
import { benchDetect } from './detectBench';
import { benchComfyUI, comfyDoubleChild } from './comfyuiBench';
import { benchRealSize } from './realSizeBench';
import { benchFullSize } from './fullSizeBench';

const RUNS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

async function benchPipeline(): Promise<void> {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'atelier-bench-')), 'tiny-random');
  writeModelFolder(dir, { family: 'tiny-random', tokenizerSource: path.resolve('assets/clip-tokenizer'), scheduler: { _class_name: 'EulerDiscreteScheduler' } });
  const request: Txt2ImgRequest = {
    kind: 'txt2img',
    modelDir: dir,
    prompt: 'a lighthouse at dusk, oil painting',
    negativePrompt: 'blurry',
    width: 512,
    height: 512,
    sampling: { sampler: 'euler', steps: 20, guidanceScale: 7.5, seed: 1 },
    previewEvery: 5,
    executionProvider: 'cpu',
  };
  console.log(`Atelier bench — tiny-random model, 64×64 latents (512×512), 20 steps, CFG 7.5, CPU, ${os.cpus().length} cores, Node ${process.version}`);

  // 1. In-process pipeline: the pipeline's own overhead around session.run.
  const model = await loadModel(dir, 'cpu', () => undefined);
  await txt2img(model, request); // warm-up (first-run graph optimisation)
  const rows: Array<{ total: number; run: number }> = [];
  for (let i = 0; i < RUNS; i++) {
    const before = model.stats.runMs;
    const start = performance.now();
    await txt2img(model, request, { onStep: () => undefined });
    rows.push({ total: performance.now() - start, run: model.stats.runMs - before });
  }
  await model.release();
  const total = median(rows.map((r) => r.total));
  const run = median(rows.map((r) => r.run));
  console.log('\nIn-process pipeline (median of 5)');
  console.log(`  total                 ${fmt(total)}`);
  console.log(`  inside session.run    ${fmt(run)}`);
  console.log(`  outside session.run   ${fmt(total - run)}  (${(((total - run) / total) * 100).toFixed(2)} % of total; target ≤ 2 %)`);
  console.log(`  per denoising step    ${fmt((total - run) / 20)} outside session.run (fixed cost; a real SD UNet step takes seconds on CPU)`);
  console.log(`  peak RSS (bench proc) ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);

  // 2. Through the supervised worker: adds IPC, previews and PNG encoding.
  const supervisor = new WorkerSupervisor({ workerPath: path.join(__dirname, 'pipeline-worker.js'), log: () => undefined });
  try {
    await supervisor.generate(request); // warm-up: loads the sessions
    const jobs: Array<{ wall: number; total: number; run: number; peak: number }> = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const result = await supervisor.generate(request);
      jobs.push({ wall: performance.now() - start, total: result.timings.totalMs, run: result.timings.sessionRunMs, peak: result.workerPeakRssBytes });
    }
    const wall = median(jobs.map((j) => j.wall));
    const runW = median(jobs.map((j) => j.run));
    console.log('\nThrough the worker process (median of 5, warm sessions)');
    console.log(`  host wall time        ${fmt(wall)}`);
    console.log(`  inside session.run    ${fmt(runW)}`);
    const inWorker = median(jobs.map((j) => j.total));
    console.log(`  outside session.run   ${fmt(wall - runW)}  (${(((wall - runW) / wall) * 100).toFixed(2)} % of wall)`);
    console.log(`    of which in worker  ${fmt(inWorker - runW)}  (pipeline + RGB conversion + PNG encoding + progress events)`);
    console.log(`    of which IPC/host   ${fmt(wall - inWorker)}  (request, result transfer, host event handling)`);
    console.log(`  worker peak RSS       ${(Math.max(...jobs.map((j) => j.peak)) / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await supervisor.dispose();
  }

}

/** Sections in the order they run; `node dist/bench.js --only=upscale,canvas` runs a subset. */
const SECTIONS: Record<string, () => Promise<void>> = {
  pipeline: benchPipeline,
  controlnet: async () => {
    await benchControlNet();
    await benchInpaintMemory(__filename);
  },
  upscale: benchUpscale,
  detect: benchDetect,
  canvas: benchCanvas,
  comfyui: benchComfyUI,
  realsize: () => benchRealSize(),
  fullsize: benchFullSize,
};

async function main(): Promise<void> {
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const unknown = (only ?? []).filter((name) => !(name in SECTIONS));
  if (unknown.length > 0) throw new Error(`unknown bench section ${unknown.join(', ')}; sections: ${Object.keys(SECTIONS).join(', ')}`);
  for (const [name, run] of Object.entries(SECTIONS)) if (!only || only.includes(name)) await run();
}

const child = process.argv.find((a) => a.startsWith('--inpaint-rss='));
const comfyDouble = process.argv.find((a) => a.startsWith('--comfy-double='));
(child ? inpaintRssChild(child.slice('--inpaint-rss='.length) as 'whole' | 'crop', process.argv[process.argv.indexOf(child) + 1]) : comfyDouble ? comfyDoubleChild(Number(comfyDouble.slice('--comfy-double='.length))) : main()).catch((error) => {
  console.error(error);
  process.exit(1);
});
