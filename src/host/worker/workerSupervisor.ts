/**
 * Runs the pipeline worker as a supervised child process. A crash (exit, signal, OOM kill) rejects
 * the running job with a clear error and the host carries on; the next job starts a fresh worker after
 * a backoff; after too many crashes in a short window it stops and says so. A long job whose progress
 * events stop for longer than its StallWatchdog allows is treated as hung: the worker is killed and the
 * job fails with TIMEOUT. A cancel the worker does not answer within `cancelGraceMs` (frozen, or stuck in
 * native code) kills it, so a cancel always acts within about a second.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { PipelineError } from '../../shared/errors';
import type { FromWorkerMessage, PipelineEvents, PipelineMethods } from '../../shared/protocol/pipeline';
import type { ConvertCheckpointParams, ConvertCheckpointResult } from '../../shared/convert';
import type { ControlNetSummary, DetectPoseResult, DetectRequest, SegmentPersonResult, GenerationRequest, GenerationResult, ModelSummary, TokenizeParams, TokenizeResult, UpscaleRequest, UpscaleResult } from '../../shared/request';
import { RpcClient } from '../../shared/rpc';
import { describeWorkerExit } from './crashDescription';
import { CrashPolicy, DEFAULT_CRASH_POLICY, type CrashPolicyOptions } from './crashPolicy';
import { LineBuffer } from './lineBuffer';
import type { GenerateOptions, PipelineClient } from './pipelineClient';
import { createWorkerDir, removeWorkerDir } from './workerTempDir';
import { DEFAULT_STALL_LIMITS, StallWatchdog, type StallLimits } from './stallWatchdog';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface SupervisorOptions {
  /** The bundled worker entry (dist/pipeline-worker.js). */
  readonly workerPath: string;
  readonly log: (level: LogLevel, message: string) => void;
  readonly policy?: CrashPolicyOptions;
  /**
   * A long job silent for this long before its steps are measured is considered hung (default 15 minutes:
   * big models load slowly on CPU); once measured, 10 × its slowest step (at least `stallFloorMs`).
   */
  readonly stallTimeoutMs?: number;
  /** Least silence allowed once steps are measured (default 60 s). */
  readonly stallFloorMs?: number;
  /** A cancelled job whose worker has not answered after this long kills the worker (default 1 s). */
  readonly cancelGraceMs?: number;
  /** Deadline for short requests such as tokenize (default 60 s). */
  readonly requestTimeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
}

interface Worker {
  readonly child: ChildProcess;
  readonly rpc: RpcClient<PipelineMethods, PipelineEvents>;
  readonly stderr: LineBuffer;
  /** Set when we stop the worker on purpose: its exit is not a crash. */
  expectedExit: boolean;
  /** Why we stopped it, when a job is rejected by it (a cancel the worker did not answer). */
  stopReason?: string;
  /** Set by the stall watchdog: the silence it allowed and the slowest step seen. */
  stalled?: { silentMs: number; slowestStepMs: number };
  readonly exited: Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function isWorkerMessage(value: unknown): value is FromWorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

export class WorkerSupervisor implements PipelineClient {
  private worker: Worker | undefined;
  private spawning: Promise<Worker> | undefined;
  private disposed = false;
  private readonly policy: CrashPolicy;
  private readonly cwd: string;
  private readonly now: () => number;

  constructor(private readonly options: SupervisorOptions) {
    this.policy = new CrashPolicy(options.policy ?? DEFAULT_CRASH_POLICY);
    this.now = options.now ?? Date.now;
    this.cwd = createWorkerDir();
  }

  /** PID of the running worker, if any (diagnostics and tests). */
  get pid(): number | undefined {
    return this.worker?.child.pid;
  }

  async generate(request: GenerationRequest, options: GenerateOptions = {}): Promise<GenerationResult> {
    const result = await this.longJob('generate', request, options);
    if (result.restartRecommended) {
      this.options.log('info', `restarting the worker to return memory (resident ${(result.workerRssBytes / 2 ** 20).toFixed(0)} MiB after a model switch)`);
      const worker = this.worker;
      if (worker) void this.stopWorker(worker);
    }
    return result;
  }

  upscale(request: UpscaleRequest, options: GenerateOptions = {}): Promise<UpscaleResult> {
    return this.longJob('upscale', request, options);
  }

  /** Builds (or reuses) the cached ONNX folder of a `.safetensors` checkpoint; `converting` progress events. */
  convertCheckpoint(params: ConvertCheckpointParams, options: GenerateOptions = {}): Promise<ConvertCheckpointResult> {
    return this.longJob('convertCheckpoint', params, options);
  }

  /** A job that reports progress: a worker silent for longer than its watchdog allows is killed. */
  private async longJob<M extends 'generate' | 'upscale' | 'convertCheckpoint'>(method: M, params: PipelineMethods[M]['params'], options: GenerateOptions): Promise<PipelineMethods[M]['result']> {
    const worker = await this.ensureWorker();
    const limits: StallLimits = { ...DEFAULT_STALL_LIMITS, loadMs: this.options.stallTimeoutMs ?? DEFAULT_STALL_LIMITS.loadMs, floorMs: this.options.stallFloorMs ?? DEFAULT_STALL_LIMITS.floorMs };
    const watchdog = new StallWatchdog(limits, (silentMs, slowestStepMs) => this.killStalled(worker, silentMs, slowestStepMs), this.now);
    const stopCancelGuard = this.guardCancel(worker, options.signal, method === 'generate' ? 'generation' : method === 'upscale' ? 'upscaling' : 'conversion');
    try {
      const result = await worker.rpc.request(method, params, {
        signal: options.signal,
        onEvent: (event) => {
          watchdog.event(event);
          options.onEvent?.(event);
        },
      });
      this.policy.recordSuccess();
      return result;
    } finally {
      watchdog.stop();
      stopCancelGuard();
    }
  }

  /**
   * After a cancel, the worker normally answers CANCELLED at its next step. One that does not within
   * `cancelGraceMs` (frozen with SIGSTOP, stuck in a long native call) is killed, which settles the job.
   */
  private guardCancel(worker: Worker, signal: AbortSignal | undefined, what: string): () => void {
    if (!signal) return () => undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceMs = this.options.cancelGraceMs ?? 1000;
    const onAbort = (): void => {
      timer = setTimeout(() => {
        if (this.worker !== worker) return;
        this.options.log('warn', `the worker did not stop ${graceMs} ms after the cancel; killing it`);
        worker.expectedExit = true;
        worker.stopReason = `${what} was cancelled (the worker did not stop within ${graceMs / 1000} s, so it was ended; the next job starts a fresh one)`;
        worker.child.kill('SIGKILL');
      }, graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    return () => {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
  }

  async tokenize(params: TokenizeParams): Promise<TokenizeResult> {
    const worker = await this.ensureWorker();
    return worker.rpc.request('tokenize', params, { timeoutMs: this.options.requestTimeoutMs ?? 60_000 });
  }

  async inspectModel(modelDir: string): Promise<ModelSummary> {
    const worker = await this.ensureWorker();
    return worker.rpc.request('inspectModel', { modelDir }, { timeoutMs: this.options.requestTimeoutMs ?? 60_000 });
  }

  async detectPose(request: DetectRequest): Promise<DetectPoseResult> {
    const worker = await this.ensureWorker();
    return worker.rpc.request('detectPose', request, { timeoutMs: this.options.requestTimeoutMs ?? 60_000 });
  }

  async segmentPerson(request: DetectRequest): Promise<SegmentPersonResult> {
    const worker = await this.ensureWorker();
    return worker.rpc.request('segmentPerson', request, { timeoutMs: this.options.requestTimeoutMs ?? 60_000 });
  }

  async listControlNets(roots: readonly string[]): Promise<readonly ControlNetSummary[]> {
    const worker = await this.ensureWorker();
    return worker.rpc.request('listControlNets', { roots }, { timeoutMs: this.options.requestTimeoutMs ?? 60_000 });
  }

  async releaseModels(): Promise<void> {
    if (!this.worker) return;
    await this.worker.rpc.request('releaseModels', {}, { timeoutMs: this.options.requestTimeoutMs ?? 60_000 });
  }

  async restart(): Promise<void> {
    this.policy.reset();
    if (this.worker) await this.stopWorker(this.worker);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.worker) await this.stopWorker(this.worker);
    removeWorkerDir(this.cwd);
  }

  private async ensureWorker(): Promise<Worker> {
    if (this.disposed) throw new PipelineError('INTERNAL', 'the pipeline client was disposed');
    if (this.worker) return this.worker;
    if (!this.spawning) {
      this.spawning = this.spawnAfterBackoff().finally(() => {
        this.spawning = undefined;
      });
    }
    return this.spawning;
  }

  private async spawnAfterBackoff(): Promise<Worker> {
    if (this.policy.gaveUp(this.now())) {
      throw new PipelineError(
        'WORKER_GAVE_UP',
        `the pipeline worker crashed ${this.policy.recentCrashes} times within 5 minutes, so Atelier stopped restarting it; see the Atelier log, then use "Atelier: Restart Worker" to try again`,
      );
    }
    const delay = this.policy.delayBeforeSpawn(this.now());
    if (delay > 0) {
      this.options.log('info', `waiting ${delay} ms before restarting the pipeline worker`);
      await sleep(delay);
    }
    return this.spawn();
  }

  private spawn(): Worker {
    const child = fork(this.options.workerPath, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      cwd: this.cwd,
      env: this.options.env ?? process.env,
      execArgv: [],
    });
    const rpc = new RpcClient<PipelineMethods, PipelineEvents>((message) => {
      if (!child.connected) throw new Error('worker is not connected');
      child.send(message);
    });
    let markExited: () => void = () => undefined;
    const worker: Worker = {
      child,
      rpc,
      stderr: new LineBuffer(200),
      expectedExit: false,
      exited: new Promise<void>((resolve) => (markExited = resolve)),
    };
    this.worker = worker;
    this.options.log('info', `started pipeline worker (pid ${child.pid ?? '?'})`);

    child.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) {
        this.options.log('warn', 'ignored a malformed message from the worker');
        return;
      }
      if (message.type === 'log') this.options.log(message.level, `[worker] ${message.message}`);
      else rpc.handleMessage(message);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      for (const line of worker.stderr.push(chunk)) if (line.trim()) this.options.log('debug', `[worker stderr] ${line}`);
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.options.log('debug', `[worker stdout] ${chunk.trimEnd()}`));
    child.on('error', (error) => this.options.log('error', `pipeline worker process error: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (this.worker === worker) this.worker = undefined;
      markExited();
      if (worker.expectedExit) {
        rpc.rejectAll(new PipelineError('CANCELLED', worker.stopReason ?? 'the pipeline worker was stopped'));
        return;
      }
      const error = worker.stalled
        ? new PipelineError(
            'TIMEOUT',
            `the pipeline worker sent no progress for ${Math.round(worker.stalled.silentMs / 1000)} s${worker.stalled.slowestStepMs > 0 ? ` (its slowest step took ${(worker.stalled.slowestStepMs / 1000).toFixed(1)} s)` : ''} and was stopped; it was frozen, or too short of memory to go on`,
            { detail: worker.stderr.text() },
          )
        : describeWorkerExit(code, signal, worker.stderr.text());
      this.policy.recordCrash(this.now());
      this.options.log('error', `${error.message}${error.detail ? `\n--- last worker stderr ---\n${error.detail}` : ''}`);
      rpc.rejectAll(error);
    });
    return worker;
  }

  private killStalled(worker: Worker, silentMs: number, slowestStepMs: number): void {
    if (this.worker !== worker) return;
    this.options.log('error', `no progress from the worker for ${silentMs} ms (slowest step ${slowestStepMs.toFixed(0)} ms); killing it`);
    worker.stalled = { silentMs, slowestStepMs };
    worker.child.kill('SIGTERM');
    worker.child.kill('SIGCONT'); // a stopped (SIGSTOP) worker acts on the SIGTERM only once continued
    setTimeout(() => {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    }, 5000).unref();
  }

  private async stopWorker(worker: Worker): Promise<void> {
    worker.expectedExit = true;
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
    if (worker.child.connected) worker.child.disconnect(); // the worker exits on disconnect
    const forced = setTimeout(() => worker.child.kill('SIGKILL'), 3000);
    await worker.exited;
    clearTimeout(forced);
  }
}
