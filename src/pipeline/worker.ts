/**
 * Pipeline worker: a child process forked by the host with `serialization: 'advanced'`. It owns
 * onnxruntime (through backends/onnx.ts), keeps the current model warm, and answers typed RPC.
 */
import sharp from 'sharp';
import type { FromWorkerMessage, PipelineEvents, PipelineMethods, ToWorkerMessage } from '../shared/protocol/pipeline';
import type { DetectPoseResult, DetectRequest, GenerationRequest, GenerationResult, SegmentPersonResult, TokenizeParams, TokenizeResult, Txt2ImgRequest, UpscaleRequest, UpscaleResult } from '../shared/request';
import { RpcServer, type RequestContext } from '../shared/rpc';
import path from 'node:path';
import { applyModelDefaults, type ModelSamplingTraits } from '../shared/samplingDefaults';
import type { LoadedModel } from './runtime/loadedModel';
import { openSession, type Logger, type Session, type SessionStats } from './backends/onnx';
import { checkUpscaleRequest, upscaleImage } from './upscale/upscaleImage';
import { findUpscaler } from './upscale/upscalers';
import { findDetector, type DetectorId } from './detect/detectors';
import { checkDetectRequest, rgbOf } from './detect/detectRequest';
import { detectPose as detectPoseIn } from './detect/detectPose';
import { segmentPerson as segmentPersonIn } from './detect/segmentPerson';
import { loadClipTokenizer, tokenizeResult, type ClipTokenizer } from './models/clip/tokenizer';
import { inspectModelFolder } from './models/modelFolder';
import { findControlNets } from './models/controlNetFolder';
import { modelDefaultSampler } from './schedulers';
import { chwToRgb8, latentPreview } from './ops/image';
import { txt2img, type PipelineHooks } from './pipelines/txt2img';
import type { PipelineOutput } from './pipelines/hooks';
import { img2img } from './pipelines/img2img';
import { decodeImage, decodeMask, type RgbImage } from './ops/decodeImage';
import { inpaint } from './pipelines/inpaint';
import { outpaint } from './pipelines/outpaint';
import { ModelCache } from './runtime/modelCache';
import { precheckJobMemory } from './runtime/jobMemory';
import { availableMemoryBytes } from './runtime/memoryBudget';
import { convertCheckpoint } from './convert/convertCheckpoint';
import { onnxWriter } from './convert/onnxWriter';
import type { ConvertCheckpointParams, ConvertCheckpointResult } from '../shared/convert';

function samplingTraits(model: LoadedModel): ModelSamplingTraits {
  const { folder } = model;
  return {
    pipelineClass: folder.pipelineClass,
    schedulerClass: folder.schedulerConfig.className,
    // A Hugging Face cache snapshot (models--org--name/snapshots/<hash>) is named by its repo folder.
    names: [path.basename(folder.dir), ...(path.basename(path.dirname(folder.dir)) === 'snapshots' ? [path.basename(path.dirname(path.dirname(folder.dir)))] : []), ...(folder.nameOrPath ? [folder.nameOrPath] : [])],
    timestepCond: model.unet.timestepCondInput !== undefined,
  };
}

function send(message: FromWorkerMessage): void {
  process.send?.(message);
}

const log: Logger = (level, message) => send({ type: 'log', level, message });
const models = new ModelCache(log);
const tokenizers = new Map<string, ClipTokenizer>();

async function encodePng(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const png = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

async function generate(asked: GenerationRequest, context: RequestContext<PipelineEvents>): Promise<GenerationResult> {
  const started = performance.now();
  // Test hook: a worker stuck in native code (blocked event loop), for the host's stall timeout.
  if (process.env.ATELIER_TEST_FAULT === 'hang-on-generate') for (;;);
  context.emit('progress', { phase: 'loading', step: 0, totalSteps: asked.sampling.steps });
  // Say what fits before loading or running anything, rather than being killed by the OS halfway.
  const warm = models.peek(asked.modelDir, asked.executionProvider);
  precheckJobMemory(asked, warm, availableMemoryBytes() + (warm ? models.heldWorkingBytes() : 0));
  const { model, loaded } = await models.get(asked.modelDir, asked.executionProvider);
  // The model's few-step defaults (Turbo, LCM) fill what the user left unset, said in a notice.
  const { request, notice: defaultsNotice, applied: modelDefaults } = applyModelDefaults(asked, samplingTraits(model));
  if (defaultsNotice) context.emit('warning', { message: defaultsNotice });
  const loadMs = performance.now() - started;
  if (loaded) log('info', `loaded ${model.folder.dir} (${model.family}) on ${model.provider} in ${loadMs.toFixed(0)} ms`);
  const runMsBefore = model.stats.runMs;

  const hooks: PipelineHooks = {
    signal: context.signal,
    onProgress: (phase: 'encoding' | 'denoising' | 'decoding', step: number, totalSteps: number) => context.emit('progress', { phase, step, totalSteps }),
    onStep: (index: number, total: number, latents: Float32Array, width: number, height: number) => {
      const step = index + 1;
      if (request.previewEvery > 0 && step % request.previewEvery === 0 && step < total) {
        context.emit('preview', { step, width, height, rgb: latentPreview(latents, width, height) });
      }
    },
    onWarning: (message: string) => context.emit('warning', { message }),
  };
  // What decoding the inputs tells the user (the first frame of an animation) joins the pipeline's warnings.
  const notices: string[] = defaultsNotice ? [defaultsNotice] : [];
  const notice = (message: string): void => {
    notices.push(message);
    hooks.onWarning?.(message);
  };
  const fromImage = async (request: Exclude<GenerationRequest, Txt2ImgRequest>): Promise<PipelineOutput> => {
    const init = await decodeImage(request.initImage, 'initImage', notice);
    if (request.kind === 'img2img') return img2img(model, request, init, hooks);
    if (request.kind === 'inpaint') return inpaint(model, request, init, await decodeMask(request.mask, 'mask', notice), hooks);
    return outpaint(model, request, init, hooks);
  };
  let output: PipelineOutput;
  try {
    output = request.kind === 'txt2img' ? await txt2img(model, request, hooks) : await fromImage(request);
  } finally {
    // Between jobs only the UNet stays open (and its arena, re-used by the next job's steps).
    await model.doneWith('textEncoder', 'vaeEncoder', 'vaeDecoder');
  }

  context.emit('progress', { phase: 'encoding-png', step: output.unetCalls, totalSteps: output.unetCalls });
  const png = await encodePng(chwToRgb8(output.image, output.width, output.height), output.width, output.height);
  return {
    png,
    width: output.width,
    height: output.height,
    seed: request.sampling.seed,
    sampler: output.sampler,
    steps: request.sampling.steps,
    guidanceScale: request.sampling.guidanceScale,
    ...(modelDefaults ? { modelDefaults } : {}),
    executionProvider: model.provider,
    modelFamily: model.family,
    warnings: [...notices, ...output.warnings],
    timings: { totalMs: performance.now() - started, loadMs, sessionRunMs: model.stats.runMs - runMsBefore, denoiseMs: output.denoiseMs, controlNetMs: output.controlNetMs },
    controlNets: output.controlNets,
    workerRssBytes: process.memoryUsage().rss,
    workerPeakRssBytes: process.resourceUsage().maxRSS * 1024,
    restartRecommended: models.restartRecommended(),
  };
}

const UPSCALERS_DIR = path.join(__dirname, 'upscalers');
const DETECTORS_DIR = path.join(__dirname, 'detectors');
/** Sessions of the built-in upscalers and detectors, kept warm by file and provider. */
const builtinSessions = new Map<string, Session>();
const builtinStats: SessionStats = { runs: 0, runMs: 0 };

async function builtinSession(file: string, preference: GenerationRequest['executionProvider']): Promise<Session> {
  const key = `${file}\0${preference}`;
  let session = builtinSessions.get(key);
  if (!session) {
    session = await openSession(file, { preference, stats: builtinStats, log });
    builtinSessions.set(key, session);
  }
  return session;
}

/** Runs a built-in detector on a checked request, with what every detection result reports. */
async function runDetector<T>(id: DetectorId, request: DetectRequest, run: (session: Session, image: RgbImage) => Promise<T>): Promise<{ value: T; detector: string; executionProvider: Session['provider']; timings: DetectPoseResult['timings'] }> {
  const started = performance.now();
  checkDetectRequest(request);
  const { file, info } = findDetector(process.env.ATELIER_DETECTORS_DIR ?? DETECTORS_DIR, id);
  const session = await builtinSession(file, request.executionProvider);
  const runBefore = builtinStats.runMs;
  const value = await run(session, rgbOf(request));
  return {
    value,
    detector: `${info.origin}, via ${info.package}@${info.version} (${info.license})`,
    executionProvider: session.provider,
    timings: { totalMs: performance.now() - started, sessionRunMs: builtinStats.runMs - runBefore },
  };
}

async function detectPose(request: DetectRequest): Promise<DetectPoseResult> {
  const { value, ...common } = await runDetector('movenet-multipose', request, detectPoseIn);
  return { people: value, ...common };
}

async function segmentPerson(request: DetectRequest): Promise<SegmentPersonResult> {
  // Selfie segmentation marks any large foreground as a person (a hibiscus flower fills 59 % of its
  // image): a mask is returned only when the pose detector also sees someone.
  const people = await runDetector('movenet-multipose', request, detectPoseIn);
  if (people.value.length === 0) return { mask: undefined, coverage: 0, detector: people.detector, executionProvider: people.executionProvider, timings: people.timings };
  const { value, ...common } = await runDetector('selfie-segmentation', request, segmentPersonIn);
  const timings = { totalMs: people.timings.totalMs + common.timings.totalMs, sessionRunMs: people.timings.sessionRunMs + common.timings.sessionRunMs };
  return { ...value, ...common, timings };
}

async function upscale(request: UpscaleRequest, context: RequestContext<PipelineEvents>): Promise<UpscaleResult> {
  const started = performance.now();
  checkUpscaleRequest(request);
  const { file, info } = findUpscaler(process.env.ATELIER_UPSCALERS_DIR ?? UPSCALERS_DIR, request.model, request.scale);
  const session = await builtinSession(file, request.executionProvider);
  const runBefore = builtinStats.runMs;
  const warnings: string[] = [];
  const out = await upscaleImage(session, request, info.receptiveRadius, {
    signal: context.signal,
    onProgress: (tile, tiles) => context.emit('progress', { phase: 'upscaling', step: tile, totalSteps: tiles }),
    onWarning: (message) => {
      warnings.push(message);
      context.emit('warning', { message });
    },
  });
  return {
    png: out.png,
    width: out.width,
    height: out.height,
    scale: request.scale,
    model: request.model,
    upscaler: `ESRGAN ${request.model} ${request.scale}×`,
    source: `${info.package}@${info.version} (${info.license})`,
    hasAlpha: out.hasAlpha,
    tiles: out.tiles,
    executionProvider: session.provider,
    warnings,
    timings: { totalMs: performance.now() - started, sessionRunMs: builtinStats.runMs - runBefore },
    workerPeakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/** The CLIP vocabulary shipped in the package (assets/clip-tokenizer beside dist/). */
const PACKAGED_TOKENIZER = process.env.ATELIER_TOKENIZER_DIR ?? path.join(__dirname, '..', 'assets', 'clip-tokenizer');

async function convert(params: ConvertCheckpointParams, context: RequestContext<PipelineEvents>): Promise<ConvertCheckpointResult> {
  context.emit('progress', { phase: 'converting', step: 0, totalSteps: 1 });
  const result = await convertCheckpoint({
    checkpoint: params.checkpoint,
    loras: params.loras,
    precision: params.precision,
    prediction: params.prediction,
    cacheRoot: params.cacheRoot,
    tokenizerDir: PACKAGED_TOKENIZER,
    writer: onnxWriter(),
    signal: context.signal,
    onProgress: (p) => context.emit('progress', { phase: 'converting', step: p.done, totalSteps: p.total }),
  });
  log('info', `${result.reused ? 'reusing' : 'converted'} ${params.checkpoint} → ${result.modelDir} (${result.family}, ${result.prediction}: ${result.predictionWhy})`);
  for (const note of result.notes) context.emit('warning', { message: note });
  return result;
}

async function tokenize(params: TokenizeParams): Promise<TokenizeResult> {
  let tokenizer = tokenizers.get(params.tokenizerDir);
  if (!tokenizer) {
    tokenizer = await loadClipTokenizer(params.tokenizerDir);
    tokenizers.set(params.tokenizerDir, tokenizer);
  }
  return tokenizeResult(tokenizer.chunk(params.text), tokenizer.chunkLength);
}

const server = new RpcServer<PipelineMethods, PipelineEvents>(send, {
  generate,
  tokenize,
  upscale,
  detectPose,
  segmentPerson,
  inspectModel: async ({ modelDir }) => {
    const folder = inspectModelFolder(modelDir);
    return {
      dir: folder.dir,
      pipelineClass: folder.pipelineClass,
      demo: folder.demo,
      defaultSampler: modelDefaultSampler(folder.schedulerConfig),
      predictionType: folder.schedulerConfig.predictionType,
      notes: folder.notes,
    };
  },
  convertCheckpoint: convert,
  listControlNets: async ({ roots }) => findControlNets(roots).map((cn) => ({ dir: cn.dir, type: cn.type })),
  releaseModels: async () => {
    await models.release();
    for (const session of builtinSessions.values()) await session.release();
    builtinSessions.clear();
    return { rssBytes: process.memoryUsage().rss };
  },
});

if (process.env.ATELIER_TEST_FAULT === 'exit-on-start') process.exit(3);

process.on('message', (message) => server.handleMessage(message as ToWorkerMessage));
// The host went away (crash, kill): never linger as an orphan.
process.on('disconnect', () => process.exit(0));
process.on('unhandledRejection', (reason) => {
  log('error', `unhandled rejection in worker: ${reason instanceof Error ? reason.stack : String(reason)}`);
});

