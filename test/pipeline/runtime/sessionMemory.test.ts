/**
 * Memory choices of the loaded model: CFG as batch-1 passes on the CPU (same prediction as one batch-2
 * pass), the arena only for the graphs run every step, spinning off, and every session released.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSession, sessionOptions, type Session, type SessionStats, type TensorData } from '../../../src/pipeline/backends/onnx';
import { UNet, type UNetCall } from '../../../src/pipeline/models/sd/unet';
import { loadModel, type LoadedModel } from '../../../src/pipeline/runtime/loadedModel';
import { OnDemandSession } from '../../../src/pipeline/runtime/onDemandSession';
import { GaussianNoise } from '../../../src/pipeline/random/gaussian';
import { quietLog, tinyModel } from '../../helpers/fixtures';

const stats: SessionStats = { runs: 0, runMs: 0 };
const toRelease: Array<{ release(): Promise<void> }> = [];
afterAll(async () => {
  for (const r of toRelease) await r.release();
});

/** Wraps a session and records the batch size of every run. */
function recording(session: Session, batches: number[]): Session {
  return {
    file: session.file,
    provider: session.provider,
    memory: session.memory,
    inputs: session.inputs,
    outputs: session.outputs,
    run: async (feeds: Readonly<Record<string, TensorData>>) => {
      batches.push(feeds.sample.dims[0]);
      return session.run(feeds);
    },
    release: () => session.release(),
  };
}

function cfgCall(seed: number): UNetCall {
  const noise = new GaussianNoise(seed);
  const latent = noise.normal(4 * 8 * 8);
  const sample = new Float32Array(2 * latent.length);
  sample.set(latent);
  sample.set(latent, latent.length);
  // Different uncond and cond embeddings, as under CFG.
  return { sample, batch: 2, height: 8, width: 8, timestep: 501, encoderHiddenStates: noise.normal(2 * 77 * 32), seqLength: 77 };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('CFG as two batch-1 passes', () => {
  it('gives the batch-2 prediction within 1e-5, in two runs of batch 1 (and one of batch 2 without the option)', async () => {
    const file = path.join(tinyModel(), 'unet', 'model.onnx');
    const session = await openSession(file, { preference: 'cpu', stats, log: quietLog });
    toRelease.push(session);
    const oneBatches: number[] = [];
    const twoBatches: number[] = [];
    const call = cfgCall(3);
    const batched = await new UNet(recording(session, twoBatches)).predict(call);
    const split = await new UNet(recording(session, oneBatches), { batchOnePasses: true }).predict(call);
    expect(twoBatches).toEqual([2]);
    expect(oneBatches).toEqual([1, 1]);
    expect(split.length).toBe(batched.length);
    expect(maxDiff(split, batched)).toBeLessThanOrEqual(1e-5);
    // Not vacuous: the two halves differ (different embeddings), so a swapped or repeated half would fail.
    const half = batched.length / 2;
    expect(maxDiff(batched.subarray(0, half), batched.subarray(half))).toBeGreaterThan(1e-3);
  });
});

describe('session memory choices', () => {
  it('keeps the arena only where a graph runs every step, and turns thread spinning off everywhere', () => {
    const arena = sessionOptions('cpu', 'arena');
    const once = sessionOptions('cpu', 'return-after-run');
    expect(arena.enableCpuMemArena).toBe(true);
    expect(once.enableCpuMemArena).toBe(false);
    // No memory pattern anywhere: planned after the first run, it is allocated beside the arena's chunks.
    expect(arena.enableMemPattern).toBe(false);
    expect(once.enableMemPattern).toBe(false);
    for (const o of [arena, once]) expect(o.extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
  });

  it('loads the UNet and VAE with the arena and batch-1 CFG passes on the CPU, the text encoder without, and releases all', async () => {
    const model: LoadedModel = await loadModel(tinyModel({ vaeEncoder: 'latent_sample' }), 'cpu', quietLog);
    expect(model.unet.session.memory).toBe('arena');
    expect(model.unet.batchOnePasses).toBe(true);
    expect(model.textEncoder.session.memory).toBe('return-after-run');
    // The VAE keeps its arena: a real-size decode without it was several times slower.
    expect(model.vaeDecoder.session.memory).toBe('arena');
    expect(model.vaeEncoder?.session.memory).toBe('arena');
    // Right after the load only the UNet and the text encoder (the first job's first graph) are open.
    const parts = [model.textEncoder.session, model.vaeDecoder.session, model.vaeEncoder?.session];
    for (const s of parts) expect(s).toBeInstanceOf(OnDemandSession);
    const [text, decoder, encoder] = parts as OnDemandSession[];
    expect([text.loaded, decoder.loaded, encoder.loaded]).toEqual([true, false, false]);
    await model.release();
    // A released session refuses to run: nothing of the model is left open.
    await expect(model.vaeDecoder.decode(new Float32Array(4 * 8 * 8), 8, 8)).rejects.toThrow();
    await expect(model.unet.predict({ ...cfgCall(1), encoderHiddenStates: new Float32Array(2 * 77 * model.textWidth) })).rejects.toThrow();
  });
});

describe('text encoder and VAE closed between uses on the CPU', () => {
  it('closes each part when the job is done with it and reopens it on the next use with the same result', async () => {
    const model = await loadModel(tinyModel({ vaeEncoder: 'latent_sample' }), 'cpu', quietLog);
    toRelease.push(model);
    const text = model.textEncoder.session as OnDemandSession;
    const decoder = model.vaeDecoder.session as OnDemandSession;
    const ids = model.tokenizer.encodePadded('a red fox').ids;
    const before = await model.textEncoder.encode(ids);
    await model.doneWith('textEncoder');
    expect(text.loaded).toBe(false);
    const after = await model.textEncoder.encode(ids);
    expect(text.loaded).toBe(true);
    expect(text.opens).toBe(2);
    expect(maxDiff(after.hidden, before.hidden)).toBe(0);

    const latents = new GaussianNoise(5).normal(4 * 8 * 8);
    const first = await model.vaeDecoder.decode(latents, 8, 8);
    expect(decoder.loaded).toBe(true);
    await model.doneWith('textEncoder', 'vaeEncoder', 'vaeDecoder');
    expect([text.loaded, decoder.loaded]).toEqual([false, false]);
    const second = await model.vaeDecoder.decode(latents, 8, 8);
    expect(maxDiff(second.image, first.image)).toBe(0);
    // The UNet stays open: it is what every step runs.
    await expect(model.unet.predict({ ...cfgCall(1), encoderHiddenStates: new Float32Array(2 * 77 * model.textWidth) })).resolves.toBeDefined();
  });

  it('a whole txt2img job leaves only the UNet open', async () => {
    const model = await loadModel(tinyModel(), 'cpu', quietLog);
    toRelease.push(model);
    const { txt2img } = await import('../../../src/pipeline/pipelines/txt2img');
    await txt2img(model, { kind: 'txt2img', modelDir: model.folder.dir, prompt: 'a cat', negativePrompt: 'blurry', width: 64, height: 64, sampling: { sampler: 'euler', steps: 2, guidanceScale: 7.5, seed: 1 }, previewEvery: 0, executionProvider: 'cpu' }, {});
    // The text encoder was closed once the prompts were encoded; the decoder is closed by the worker after the job.
    expect((model.textEncoder.session as OnDemandSession).loaded).toBe(false);
    await model.doneWith('textEncoder', 'vaeEncoder', 'vaeDecoder');
    expect((model.vaeDecoder.session as OnDemandSession).loaded).toBe(false);
  });
});

describe('room for the VAE decode', () => {
  it('closes the UNet before a decode that does not fit beside it, and reopens it for the next prediction', async () => {
    const model = await loadModel(tinyModel(), 'cpu', quietLog);
    toRelease.push(model);
    const unet = model.unet.session as OnDemandSession;
    const call = { ...cfgCall(2), encoderHiddenStates: new GaussianNoise(4).normal(2 * 77 * model.textWidth) };
    const before = await model.unet.predict(call);
    // Plenty of memory: the UNet stays open (warm for the next job).
    expect(await model.makeRoomToDecode(512, 512, 1e12)).toBe(false);
    expect(unet.loaded).toBe(true);
    // Too little: it is closed, and the next prediction reopens it with the same result.
    expect(await model.makeRoomToDecode(512, 512, 1e6)).toBe(true);
    expect(unet.loaded).toBe(false);
    const after = await model.unet.predict(call);
    expect(unet.opens).toBe(2);
    expect(maxDiff(after, before)).toBe(0);
  });
});
