/**
 * The remote path's own cost on loopback (`npm run bench -- --only=comfyui`): a job through the ComfyUI
 * client against the test double (job → checks → upload → graph → submit → websocket → /view → decoded
 * pixels), split into stages. The double runs in its own process (as a server would), and its execution
 * time (its stand-in for the GPU work, including its PNG encoding in SaveImage) is subtracted: what
 * remains is Atelier's overhead, shown as time and as a share of the job, measured once with no server
 * work and once with 20 steps of 100 ms (a 2 s job).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { ComfyClient } from '../../src/host/comfyui/client';
import { generateWithComfy, type ComfyJobResult } from '../../src/host/comfyui/comfyJob';
import type { ComfyWorkflowInput, RawImage } from '../../src/host/comfyui/workflowInput';
import { startComfyServer } from '../helpers/comfyServer';

type FromDouble = { readonly url: string } | { readonly executions: { promptId: string; ms: number }[] };

/** `node dist/bench.js --comfy-double=<stepDelayMs>`: serves the double; answers execution times over IPC. */
export async function comfyDoubleChild(stepDelayMs: number): Promise<void> {
  const double = await startComfyServer({ faults: { stepDelayMs } });
  process.on('message', () => process.send?.({ executions: double.executions } satisfies FromDouble));
  process.on('disconnect', () => void double.close().then(() => process.exit(0)));
  process.send?.({ url: double.url } satisfies FromDouble);
}

class RemoteDouble {
  private constructor(private readonly child: ChildProcess, readonly url: string) {}

  static start(stepDelayMs: number): Promise<RemoteDouble> {
    const child = fork(__filename, [`--comfy-double=${stepDelayMs}`], { stdio: 'inherit' });
    return new Promise((resolve, reject) => {
      child.once('message', (m: FromDouble) => ('url' in m ? resolve(new RemoteDouble(child, m.url)) : reject(new Error('the double did not start'))));
      child.once('exit', (code) => reject(new Error(`the double exited (${code})`)));
    });
  }

  executions(): Promise<{ promptId: string; ms: number }[]> {
    return new Promise((resolve) => {
      this.child.once('message', (m: FromDouble) => resolve('executions' in m ? m.executions : []));
      this.child.send('executions');
    });
  }

  stop(): void {
    this.child.disconnect();
  }
}

function photo(size: number): RawImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) data.set([(x * 255) / size, (y * 255) / size, 128 + 100 * Math.sin(x / 7) * Math.cos(y / 11)], (y * size + x) * 3);
  }
  return { width: size, height: size, channels: 3, data };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const ms = (v: number): string => `${v.toFixed(1).padStart(7)} ms`;

async function measure(double: RemoteDouble, client: ComfyClient, job: ComfyWorkflowInput<RawImage>, runs: number): Promise<Record<string, number>> {
  const rows: Array<Record<string, number>> = [];
  await generateWithComfy(client, job); // warm-up: sharp, sockets, JIT
  for (let i = 0; i < runs; i++) {
    // A new seed each run: the same upload is deduplicated by name, so only the first run of a size uploads.
    const seeded = { ...job, sampling: { ...job.sampling, seed: 1000 + i } };
    const start = performance.now();
    const result: ComfyJobResult = await generateWithComfy(client, seeded);
    const wall = performance.now() - start;
    const server = (await double.executions()).find((e) => e.promptId === result.promptId)?.ms ?? 0;
    rows.push({ wall, server, overhead: wall - server, ...result.timings });
  }
  return Object.fromEntries(Object.keys(rows[0]).map((k) => [k, median(rows.map((r) => r[k]))]));
}

export async function benchComfyUI(): Promise<void> {
  console.log('\nComfyUI backend on loopback (test double; overhead = wall time − the server’s own execution; median)');
  for (const stepDelayMs of [0, 100]) {
    const double = await RemoteDouble.start(stepDelayMs);
    const client = await ComfyClient.connect(double.url);
    try {
      console.log(stepDelayMs === 0 ? '  no server work (pure overhead):' : `  a 2 s job (20 steps × ${stepDelayMs} ms on the server):`);
      for (const size of [512, 2048]) {
        const base = { checkpoint: 'v1-5-pruned-emaonly.safetensors', prompt: 'a lighthouse at dusk', negativePrompt: 'blurry', sampling: { sampler: 'euler' as const, steps: 20, guidanceScale: 7, seed: 1 }, loras: [], controls: [] };
        const jobs: Array<[string, ComfyWorkflowInput<RawImage>]> = [
          ['txt2img', { ...base, kind: 'txt2img', width: size, height: size }],
          ['img2img', { ...base, kind: 'img2img', image: photo(size), strength: 0.6 }],
        ];
        for (const [name, job] of jobs) {
          const m = await measure(double, client, job, size === 512 ? 5 : 3);
          console.log(
            `    ${name} ${size}²: wall ${ms(m.wall)} | server ${ms(m.server)} | overhead ${ms(m.overhead)} = ${((m.overhead / m.wall) * 100).toFixed(1).padStart(5)} % ` +
              `(upload ${m.uploadMs.toFixed(1)}, submit ${m.submitMs.toFixed(1)}, download ${m.downloadMs.toFixed(1)}, decode ${m.decodeMs.toFixed(1)} ms)`,
          );
        }
      }
    } finally {
      client.close();
      double.stop();
    }
  }
  console.log(`  peak RSS (bench proc) ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}
