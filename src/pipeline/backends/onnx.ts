/**
 * The only module that imports onnxruntime-node. Everything else sees the narrow `Session` interface
 * (plain typed arrays in and out), so tests can substitute fakes and the host never loads ORT.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { PipelineError } from '../../shared/errors';
import type { ExecutionProviderName, ExecutionProviderPreference } from '../../shared/request';
import { planProviders, type ProviderPlan } from './providers';
import { CACHED_WEIGHTS_FILE, graphCacheOptions, planGraphCache, type GraphCacheOptions } from './graphCache';

const ORT_VERSION: string = (require('onnxruntime-node/package.json') as { version: string }).version;

export type TensorType = 'float32' | 'float16' | 'int32' | 'int64';
export type TensorValues = Float32Array | Uint16Array | Int32Array | BigInt64Array;

export interface TensorData {
  readonly type: TensorType;
  readonly data: TensorValues;
  readonly dims: readonly number[];
}

export interface ValueInfo {
  readonly name: string;
  /** Element type as onnxruntime names it ('float32', 'float16', 'int64', …). */
  readonly type: string;
  /** Numbers for fixed dims, strings for symbolic ones; [] when undeclared or scalar. */
  readonly shape: readonly (number | string)[];
}

export interface Session {
  readonly file: string;
  readonly provider: ExecutionProviderName;
  readonly memory: SessionMemory;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  run(feeds: Readonly<Record<string, TensorData>>): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

export interface SessionStats {
  runs: number;
  runMs: number;
}

export type Logger = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

function cudaLibrariesPresent(): boolean {
  try {
    const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
    return existsSync(path.join(pkg, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

const OOM_PATTERN = /bad_alloc|failed to allocate|out of memory|CUDNN_STATUS_ALLOC_FAILED|cudaErrorMemoryAllocation/i;

function describeFeeds(feeds: Readonly<Record<string, TensorData>>): string {
  return Object.entries(feeds)
    .map(([name, t]) => `${name}: ${t.type}[${t.dims.join(',')}]`)
    .join('; ');
}

function toTensorData(value: ort.OnnxValue, name: string): TensorData {
  const tensor = value as ort.Tensor;
  const dims = [...tensor.dims];
  switch (tensor.type) {
    case 'float32':
      return { type: 'float32', data: tensor.data as Float32Array, dims };
    case 'float16': {
      // Runtimes with a native Float16Array return one; re-read its bits as Uint16Array.
      const raw = tensor.data as unknown as ArrayBufferView;
      return { type: 'float16', data: new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2), dims };
    }
    case 'int32':
      return { type: 'int32', data: tensor.data as Int32Array, dims };
    case 'int64':
      return { type: 'int64', data: tensor.data as BigInt64Array, dims };
    default:
      throw new PipelineError('MODEL_INVALID', `output "${name}" has type ${tensor.type}, which Atelier does not read`);
  }
}

class OrtSession implements Session {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  private running = 0;

  constructor(
    readonly file: string,
    readonly provider: ExecutionProviderName,
    readonly memory: SessionMemory,
    private readonly session: ort.InferenceSession,
    private readonly stats: SessionStats,
    private readonly log: Logger,
  ) {
    const describe = (m: ort.InferenceSession.ValueMetadata): ValueInfo =>
      m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: 'non-tensor', shape: [] };
    this.inputs = session.inputMetadata.map(describe);
    this.outputs = session.outputMetadata.map(describe);
  }

  async run(feeds: Readonly<Record<string, TensorData>>): Promise<Record<string, TensorData>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type, t.data, t.dims);
    const started = performance.now();
    this.running += 1;
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run(ortFeeds);
    } catch (error) {
      const message = (error as Error).message;
      this.log('error', `session.run failed for ${this.file} with inputs ${describeFeeds(feeds)}: ${message}`);
      if (OOM_PATTERN.test(message)) throw new PipelineError('OUT_OF_MEMORY', `onnxruntime ran out of memory running ${path.basename(path.dirname(this.file))}: ${message}`);
      throw new PipelineError('INFERENCE_FAILED', `onnxruntime failed to run ${this.file}: ${message}`, { detail: describeFeeds(feeds) });
    } finally {
      this.running -= 1;
      this.stats.runs += 1;
      this.stats.runMs += performance.now() - started;
    }
    const out: Record<string, TensorData> = {};
    for (const [name, value] of Object.entries(results)) out[name] = toTensorData(value, name);
    return out;
  }

  async release(): Promise<void> {
    // Releasing while run() is in flight crashes onnxruntime (onnxruntime#21812); runs are awaited first.
    if (this.running > 0) throw new Error(`refusing to release ${this.file} while a run is in flight`);
    await this.session.release();
  }
}

/**
 * How a session holds memory between runs. `arena`: onnxruntime's CPU arena keeps the activations of the
 * last run for the next one (fast for a graph run every step, the UNet). `return-after-run`: activations
 * are freed after each run (graphs run once or twice per job, the text encoder and the VAE), so their
 * peaks do not stay resident beside the UNet's.
 */
export type SessionMemory = 'arena' | 'return-after-run';

/** The onnxruntime options Atelier opens every session with; one place for the memory and threading choices. */
export function sessionOptions(provider: ExecutionProviderName, memory: SessionMemory): ort.InferenceSession.SessionOptions {
  const keep = memory === 'arena';
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    enableCpuMemArena: keep,
    // Never a memory pattern: onnxruntime plans it after the first run and then allocates it as one new
    // block beside the arena chunks of that run, so the UNet held its activations twice (SD 1.5 at 512²,
    // batch 1: 3.7 GiB instead of 2.1 GiB) and a graph run once per job (the VAE) grew again in the
    // second job. The arena alone re-uses its chunks from the second run on.
    enableMemPattern: false,
    // Spinning worker threads starve the other sessions and the event loop of the same process.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

export interface OpenOptions {
  readonly preference: ExecutionProviderPreference;
  /** Defaults to `arena`. */
  readonly memory?: SessionMemory;
  /** When set, use exactly this provider (all sessions of one model share the first one's provider). */
  readonly pinnedProvider?: ExecutionProviderName;
  readonly stats: SessionStats;
  readonly log: Logger;
  /** Defaults to the environment's (graphCacheOptions). */
  readonly graphCache?: GraphCacheOptions;
}

async function createWith(file: string, provider: ExecutionProviderName, memory: SessionMemory, cache: GraphCacheOptions, log: Logger): Promise<ort.InferenceSession> {
  // Loading by path lets onnxruntime resolve external data next to the file (never from a buffer).
  const options = sessionOptions(provider, memory);
  const plan = planGraphCache(file, { ortVersion: ORT_VERSION, provider }, cache);
  if (plan.kind === 'hit') {
    try {
      // Optimised already: optimising again would only cost the time the cache saves.
      return await ort.InferenceSession.create(plan.file, { ...options, graphOptimizationLevel: 'disabled' });
    } catch (error) {
      log('warn', `the optimised graph cached for ${file} did not load (${(error as Error).message.split('\n')[0]}); opening the source`);
      return ort.InferenceSession.create(file, options);
    }
  }
  if (plan.kind === 'off') return ort.InferenceSession.create(file, options);
  const extra = { ...options.extra, session: { ...(options.extra as { session: object }).session, optimized_model_external_initializers_file_name: CACHED_WEIGHTS_FILE, optimized_model_external_initializers_min_size_in_bytes: '1024' } };
  try {
    const session = await ort.InferenceSession.create(file, { ...options, optimizedModelFilePath: plan.saveFile, extra });
    plan.commit();
    return session;
  } catch (error) {
    plan.abort();
    throw error;
  }
}

function planFor(preference: ExecutionProviderPreference): ProviderPlan {
  return planProviders(preference, { platform: process.platform, arch: process.arch, cudaLibrariesPresent: cudaLibrariesPresent() });
}

/** The provider a session opened with this preference tries first. */
export function firstProvider(preference: ExecutionProviderPreference): ExecutionProviderName {
  return planFor(preference).candidates[0];
}

export async function openSession(file: string, options: OpenOptions): Promise<Session> {
  const plan: ProviderPlan = options.pinnedProvider ? { candidates: [options.pinnedProvider], forced: true } : planFor(options.preference);
  return openWithPlan(file, plan, options);
}

/** Tries each provider of the plan in turn with a fresh session (onnxruntime never falls back by itself). */
export async function openWithPlan(file: string, plan: ProviderPlan, options: Pick<OpenOptions, 'stats' | 'log' | 'memory' | 'graphCache'>): Promise<Session> {
  const cache = options.graphCache ?? graphCacheOptions();
  const failures: string[] = [];
  for (const provider of plan.candidates) {
    try {
      const memory = options.memory ?? 'arena';
      const session = await createWith(file, provider, memory, cache, options.log);
      if (failures.length > 0) options.log('warn', `execution provider fallback for ${file}: ${failures.join('; ')}; using ${provider}`);
      return new OrtSession(file, provider, memory, session, options.stats, options.log);
    } catch (error) {
      const message = (error as Error).message;
      if (OOM_PATTERN.test(message)) throw new PipelineError('OUT_OF_MEMORY', `out of memory while loading ${file}: ${message}`);
      if (/protobuf|parse|load model|invalid model|INVALID_GRAPH|NOT_IMPLEMENTED|external data/i.test(message) && provider === 'cpu') {
        throw new PipelineError('MODEL_INVALID', `onnxruntime could not load ${file}: ${message}`, { argument: file });
      }
      failures.push(`${provider}: ${message.split('\n')[0]}`);
    }
  }
  if (plan.forced) {
    throw new PipelineError(
      'PROVIDER_FAILED',
      `execution provider "${plan.candidates[0]}" could not be initialised (${failures.join('; ')}); set atelier.executionProvider to "auto" or "cpu"`,
      { argument: 'executionProvider' },
    );
  }
  throw new PipelineError('MODEL_INVALID', `onnxruntime could not load ${file}: ${failures.join('; ')}`, { argument: file });
}
