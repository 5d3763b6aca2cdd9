/**
 * Detector figures for `npm run bench`: "Detect pose from image" and "Select person" through the
 * worker on a 1024×768 image with two people (first call with session load, then warm), and the
 * same MoveNet graph on @tensorflow/tfjs's CPU backend (the package's own runtime) for comparison.
 */
import path from 'node:path';
import sharp from 'sharp';
import { WorkerSupervisor } from '../../src/host/worker/workerSupervisor';
import type { DetectRequest } from '../../src/shared/request';
import { ARMS_UP, figureImage, movePose, STANDING } from '../helpers/figure';
import { loadHumanModel, runNodes, tf } from '../helpers/tfjsGraph';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchDetect(): Promise<void> {
  console.log('\nDetectors (built-in, CPU, through the worker; 1024×768, two people)');
  const png = await figureImage([movePose(STANDING, -200, 100, 1.2), movePose(ARMS_UP, 250, 100, 1.2)], 1024, 768);
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const request: DetectRequest = { width: info.width, height: info.height, rgba: new Uint8Array(data), executionProvider: 'cpu' };
  const client = new WorkerSupervisor({ workerPath: path.join(__dirname, 'pipeline-worker.js'), log: () => undefined });
  try {
    for (const [name, run] of [
      ['detect pose   ', async () => (await client.detectPose(request)).timings],
      ['select person ', async () => (await client.segmentPerson(request)).timings],
    ] as const) {
      const first = performance.now();
      await run();
      const firstMs = performance.now() - first;
      const warm: number[] = [];
      const session: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        const t = await run();
        warm.push(performance.now() - started);
        session.push(t.sessionRunMs);
      }
      console.log(`  ${name} first call ${firstMs.toFixed(0)} ms (session load included), warm median ${median(warm).toFixed(0)} ms (session.run ${median(session).toFixed(0)} ms)`);
    }
  } finally {
    await client.dispose();
  }
  const model = await loadHumanModel('models/movenet-multipose.json');
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await runNodes(model, tf.zeros([1, 192, 256, 3], 'int32'), ['Identity']);
    times.push(performance.now() - started);
  }
  console.log(`  the same MoveNet graph on @tensorflow/tfjs (CPU backend, the package's runtime): median ${median(times).toFixed(0)} ms per 256×192 run`);
}
