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
  console.log(`\nReal-size model through the worker: ${modelDir}, 512², CFG 7.5, ${steps} Euler steps, two jobs`);
  const supervisor = new WorkerSupervisor({ workerPath: path.join(__dirname, 'pipeline-worker.js'), log: () => undefined });
  try {
    for (const job of [1, 2]) {
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
      console.log(`         inside session.run ${s(result.timings.sessionRunMs)}; worker RSS after ${(result.workerRssBytes / 2 ** 30).toFixed(2)} GiB, peak ${(result.workerPeakRssBytes / 2 ** 30).toFixed(2)} GiB`);
    }
  } finally {
    await supervisor.dispose();
  }
}
