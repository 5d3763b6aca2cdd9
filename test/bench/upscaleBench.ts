/**
 * Upscaling figures for `npm run bench`: megapixels of output per second for 2× and 4× (slim and
 * medium, CPU, through the worker), and the worker's peak RSS for a 2048² → 4096² job in a fresh worker.
 */
import path from 'node:path';
import sharp from 'sharp';
import { WorkerSupervisor } from '../../src/host/worker/workerSupervisor';
import type { UpscaleFactor, UpscalerModel } from '../../src/shared/request';

/** A photo-like test image: smooth gradients with some texture (PNG). */
async function testImage(size: number): Promise<Uint8Array> {
  const rgb = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      rgb[i] = (x * 255) / size;
      rgb[i + 1] = (y * 255) / size;
      rgb[i + 2] = 128 + 100 * Math.sin(x / 7) * Math.cos(y / 11);
    }
  }
  return new Uint8Array(await sharp(rgb, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer());
}

function worker(): WorkerSupervisor {
  return new WorkerSupervisor({ workerPath: path.join(__dirname, 'pipeline-worker.js'), log: () => undefined });
}

export async function benchUpscale(): Promise<void> {
  console.log('\nUpscaling (built-in ESRGAN, CPU, through the worker; output megapixels per second)');
  const image = await testImage(512);
  const client = worker();
  try {
    for (const model of ['slim', 'medium'] as UpscalerModel[]) {
      for (const scale of [2, 4] as UpscaleFactor[]) {
        await client.upscale({ image: await testImage(64), scale, model, executionProvider: 'cpu' }); // warm-up: session load
        const started = performance.now();
        const result = await client.upscale({ image, scale, model, executionProvider: 'cpu' });
        const seconds = (performance.now() - started) / 1000;
        const mp = (result.width * result.height) / 1e6;
        console.log(`  ${model.padEnd(6)} ${scale}×  512² → ${result.width}²  ${seconds.toFixed(2)} s  ${(mp / seconds).toFixed(2)} MP/s  (${result.tiles} tiles, session.run ${(result.timings.sessionRunMs / 1000).toFixed(2)} s)`);
      }
    }
  } finally {
    await client.dispose();
  }
  const fresh = worker();
  try {
    const big = await testImage(2048);
    const started = performance.now();
    const result = await fresh.upscale({ image: big, scale: 2, model: 'slim', executionProvider: 'cpu' });
    console.log(`  2048² → 4096² (slim 2×, fresh worker): ${((performance.now() - started) / 1000).toFixed(1)} s, ${result.tiles} tiles, worker peak RSS ${(result.workerPeakRssBytes / 2 ** 20).toFixed(0)} MiB (the RGB result alone is ${((4096 * 4096 * 3) / 2 ** 20).toFixed(0)} MiB)`);
  } finally {
    await fresh.dispose();
  }
}
