/**
 * `npm run bench -- --only=realsize`: a real-size model through the worker, as the CLI and the extension
 * run it: load, first and steady denoising step, decode, and the worker's peak RSS after each of two jobs
 * (the second must not peak higher). 512², CFG 7.5, Euler. The model folder is ATELIER_BENCH_MODEL, by
 * default the reference harness's SD 1.5 export (../shared/tools/reference-sd/README.md); skipped without one.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { WorkerSupervisor } from '../../src/host/worker/workerSupervisor';
import type { Txt2ImgRequest } from '../../src/shared/request';

const DEFAULT_MODEL = '/tmp/ref-sd15-onnx';

function s(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export async function benchRealSize(modelDir = process.env.ATELIER_BENCH_MODEL ?? DEFAULT_MODEL): Promise<void> {
  if (!existsSync(path.join(modelDir, 'unet', 'model.onnx'))) {
    console.log(`\nReal-size model: skipped (no ${modelDir}/unet/model.onnx; set ATELIER_BENCH_MODEL or build the reference harness's SD 1.5 export)`);
    return;
  }
  const steps = Number(process.env.ATELIER_BENCH_STEPS ?? 3);
  const request: Txt2ImgRequest = {
    kind: 'txt2img',
    modelDir,
    prompt: 'a photo of an astronaut riding a horse, high detail',
    negativePrompt: 'blurry, low quality',
    width: 512,
    height: 512,
    sampling: { sampler: 'euler', steps, guidanceScale: 7.5, seed: 42 },
    previewEvery: 0,
    executionProvider: 'cpu',
  };
  console.log(`\nReal-size model through the worker: ${modelDir}, 512², CFG 7.5, ${steps} Euler steps, two jobs, then a third in a fresh worker (a warm load: optimised graphs cached), then the int8 UNet (ATELIER_BENCH_INT8=0 skips it, =only runs one fp32 job and the int8 one)`);
  const int8Only = process.env.ATELIER_BENCH_INT8 === 'only';
  const [fp32] = await runJobs(request, int8Only ? [1] : [1, 2]);
  if (!int8Only) await runJobs(request, [3]);
  if (process.env.ATELIER_BENCH_INT8 === '0') return;
  const [int8] = await runJobs(request, [4], { ATELIER_UNET_INT8: '1' });
  console.log(`  int8 (job 4) vs fp32 (job 1): PSNR ${(await psnr(fp32, int8)).toFixed(1)} dB over the 8-bit image`);
}

async function psnr(a: Uint8Array, b: Uint8Array): Promise<number> {
  const sharp = (await import('sharp')).default;
  const [x, y] = await Promise.all([a, b].map((png) => sharp(png).raw().toBuffer()));
  let se = 0;
  for (let i = 0; i < x.length; i++) se += (x[i] - y[i]) ** 2;
  return 10 * Math.log10((255 * 255) / Math.max(se / x.length, 1e-12));
}

async function runJobs(request: Txt2ImgRequest, jobs: readonly number[], env: Record<string, string> = {}): Promise<Uint8Array[]> {
  const supervisor = new WorkerSupervisor({ workerPath: path.join(__dirname, 'pipeline-worker.js'), log: () => undefined, env: { ...process.env, ...env } });
  const images: Uint8Array[] = [];
  try {
    for (const job of jobs) {
      const marks: Array<{ phase: string; step: number; at: number }> = [];
      const started = performance.now();
      const result = await supervisor.generate(request, {
        onEvent: (event) => {
          if (event.event === 'progress') marks.push({ phase: event.payload.phase, step: event.payload.step, at: performance.now() });
        },
      });
      const stepEnds = marks.filter((m) => m.phase === 'denoising').map((m) => m.at);
      const encodedAt = marks.find((m) => m.phase === 'encoding')?.at ?? started;
      const decodeAt = marks.find((m) => m.phase === 'decoding')?.at ?? performance.now();
      const pngAt = marks.find((m) => m.phase === 'encoding-png')?.at ?? performance.now();
      const stepMs = stepEnds.map((at, i) => at - (i === 0 ? encodedAt : stepEnds[i - 1]));
      console.log(`  job ${job}: load ${s(result.timings.loadMs)}, text encode + step 1 ${s(stepMs[0] ?? 0)}, steps ${stepMs.slice(1).map(s).join(', ')}, decode ${s(pngAt - decodeAt)}, total ${s(performance.now() - started)}`);
      images.push(result.png);
      console.log(`         inside session.run ${s(result.timings.sessionRunMs)}; worker RSS after ${(result.workerRssBytes / 2 ** 30).toFixed(2)} GiB, peak ${(result.workerPeakRssBytes / 2 ** 30).toFixed(2)} GiB`);
    }
  } finally {
    await supervisor.dispose();
  }
  return images;
}
