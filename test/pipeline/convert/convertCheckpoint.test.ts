/**
 * The conversion orchestrator with a stand-in graph writer (the real one is injected by the product): the
 * cache folder is keyed by content, written atomically, reused, cleaned up on error and cancel, and the
 * folder passes the same checks the pipeline runs on any ONNX model folder.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint, CONVERTED_MARKER, type ConversionProgress, type ConvertRequest } from '../../../src/pipeline/convert/convertCheckpoint';
import type { SdSpec, WeightSource, WriteOnnxFolder } from '../../../src/pipeline/convert/types';
import { inspectModelFolder } from '../../../src/pipeline/models/modelFolder';
import { loadClipTokenizer } from '../../../src/pipeline/models/clip/tokenizer';
import { writeModelFolder } from '../../fixtures/onnx/modelFolder';
import { TOKENIZER_ASSETS } from '../../helpers/fixtures';
import { tinyLdm } from '../../helpers/ldmCheckpoint';
import { writeSafetensors } from '../../helpers/safetensors';

const root = mkdtempSync(path.join(os.tmpdir(), 'atelier-convert-'));
const graphs = path.join(root, 'graphs');
const sd1 = path.join(root, 'sd1.safetensors');
const sd2 = path.join(root, 'sd2.safetensors');

interface WriterCall {
  readonly spec: SdSpec;
  readonly outDir: string;
  readonly sample: Float32Array;
}

/** Reads every weight (as the real writer does), then drops in tiny ONNX graphs with the diffusers interfaces. */
function fakeWriter(calls: WriterCall[], options: { failAfter?: boolean; abort?: AbortController } = {}): WriteOnnxFolder {
  return async (weights: WeightSource, spec, outDir, o) => {
    let done = 0;
    for (const name of weights.names()) {
      await weights.read(name);
      if (o.signal?.aborted) throw new Error('aborted');
      o.onProgress?.({ stage: 'unet', done: ++done, total: weights.names().length });
      if (options.abort && done === 10) options.abort.abort();
    }
    for (const g of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) cpSync(path.join(graphs, g), path.join(outDir, g), { recursive: true });
    calls.push({ spec, outDir, sample: await weights.read('unet.down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q.weight').catch(() => new Float32Array()) });
    if (options.failAfter) throw new Error('writer failed');
  };
}

function request(over: Partial<ConvertRequest>): ConvertRequest {
  return { checkpoint: sd1, precision: 'fp32', cacheRoot: path.join(root, 'cache'), tokenizerDir: TOKENIZER_ASSETS, writer: fakeWriter([]), ...over };
}

beforeAll(() => {
  writeModelFolder(graphs, { family: 'tiny-random', tokenizerSource: TOKENIZER_ASSETS, vaeEncoder: 'latent_sample' });
  writeSafetensors(sd1, tinyLdm({ family: 'sd1' }));
  writeSafetensors(sd2, tinyLdm({ family: 'sd2' }), { 'modelspec.prediction_type': 'v' });
});

describe('convertCheckpoint', () => {
  it('writes a folder the pipeline accepts, then reuses it without calling the writer', async () => {
    const calls: WriterCall[] = [];
    const events: ConversionProgress[] = [];
    const first = await convertCheckpoint(request({ writer: fakeWriter(calls), onProgress: (p) => events.push(p) }));
    expect(first).toMatchObject({ reused: false, family: 'sd1', prediction: 'epsilon', inpainting: false });
    expect(first.checkpointHash).toMatch(/^[0-9a-f]{64}$/);
    expect(calls).toHaveLength(1);
    expect(path.dirname(calls[0].outDir)).toBe(path.join(root, 'cache'));
    expect(calls[0].outDir).not.toBe(first.modelDir);
    expect(events.some((e) => e.stage === 'hash')).toBe(true);
    expect(events.at(-1)).toEqual({ stage: 'files', done: 1, total: 1 });

    const folder = inspectModelFolder(first.modelDir);
    expect(folder.pipelineClass).toBe('OnnxStableDiffusionPipeline');
    expect(folder.schedulerConfig).toMatchObject({ predictionType: 'epsilon' });
    expect(folder.vaeScalingFactor).toBe(0.18215);
    const tokenizer = await loadClipTokenizer(folder.tokenizerDir);
    expect(tokenizer.encode('a photo of a cat').slice(0, 3)).toEqual([49406, 320, 1125]);
    expect(tokenizer.padId).toBe(49407);
    expect(readdirSync(path.join(root, 'cache')).filter((f) => f.startsWith('.tmp-'))).toEqual([]);

    const again = await convertCheckpoint(request({ writer: fakeWriter(calls) }));
    expect(again).toMatchObject({ reused: true, modelDir: first.modelDir, checkpointHash: first.checkpointHash });
    expect(calls).toHaveLength(1);
  });

  it('keys the cache by content, precision and LoRAs: another precision or a changed file converts again', async () => {
    const calls: WriterCall[] = [];
    const a = await convertCheckpoint(request({ writer: fakeWriter(calls) }));
    const b = await convertCheckpoint(request({ writer: fakeWriter(calls), precision: 'fp16' }));
    expect(b.modelDir).not.toBe(a.modelDir);
    const copy = path.join(root, 'renamed-copy.safetensors');
    cpSync(sd1, copy);
    // Same bytes under another name: same folder.
    expect((await convertCheckpoint(request({ checkpoint: copy, writer: fakeWriter(calls) }))).modelDir).toBe(a.modelDir);
    const bytes = readFileSync(copy);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(copy, bytes);
    utimesSync(copy, new Date(), new Date(Date.now() + 5000));
    const changed = await convertCheckpoint(request({ checkpoint: copy, writer: fakeWriter(calls) }));
    expect(changed.modelDir).not.toBe(a.modelDir);
    expect(changed.reused).toBe(false);
  });

  it('merges LoRAs before the writer reads, records their A1111 short hashes, and refuses a LoRA that matches nothing', async () => {
    const lora = path.join(root, 'style.safetensors');
    const module = 'lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q';
    writeSafetensors(lora, { [`${module}.lora_down.weight`]: { shape: [2, 32] }, [`${module}.lora_up.weight`]: { shape: [32, 2] }, 'lora_unet_nowhere.lora_down.weight': { shape: [2, 2] }, 'lora_unet_nowhere.lora_up.weight': { shape: [2, 2] } });
    const plain: WriterCall[] = [];
    const merged: WriterCall[] = [];
    await convertCheckpoint(request({ writer: fakeWriter(plain), cacheRoot: path.join(root, 'cache-plain') }));
    const result = await convertCheckpoint(request({ writer: fakeWriter(merged), loras: [{ file: lora, weight: 0.7 }] }));
    expect(merged[0].sample).not.toEqual(plain[0].sample);
    expect(result.loras).toEqual([{ file: lora, weight: 0.7, modules: 1, unmatched: 2, examples: expect.arrayContaining(['lora_unet_nowhere.lora_down.weight', 'lora_unet_nowhere.lora_up.weight']), shortHash: expect.stringMatching(/^[0-9a-f]{12}$/) }]);
    expect(result.notes.join()).toMatch(/2 keys match no weight of this model and were not applied \(lora_unet_nowhere/);
    const marker = JSON.parse(readFileSync(path.join(result.modelDir, CONVERTED_MARKER), 'utf8')) as { loras: { shortHash: string }[] };
    expect(marker.loras[0].shortHash).toBe(result.loras[0].shortHash);

    const foreign = path.join(root, 'foreign.safetensors');
    writeSafetensors(foreign, { 'lora_te2_text_model_encoder_layers_0_mlp_fc1.lora_down.weight': { shape: [2, 8] }, 'lora_te2_text_model_encoder_layers_0_mlp_fc1.lora_up.weight': { shape: [8, 2] } });
    await expect(convertCheckpoint(request({ loras: [{ file: foreign, weight: 1 }] }))).rejects.toThrow(/changes none of this SD1 model's weights \(2 keys, e\.g\. lora_te2_/);
  });

  it('SD 2.x v-prediction: the scheduler config carries prediction_type and the tokenizer pads with "!"', async () => {
    const result = await convertCheckpoint(request({ checkpoint: sd2 }));
    expect(result).toMatchObject({ family: 'sd2', prediction: 'v_prediction', predictionWhy: expect.stringMatching(/modelspec\.prediction_type=v/) });
    expect(inspectModelFolder(result.modelDir).schedulerConfig).toMatchObject({ predictionType: 'v_prediction' });
    expect(JSON.parse(readFileSync(path.join(result.modelDir, 'tokenizer', 'special_tokens_map.json'), 'utf8')).pad_token).toBe('!');
    const forced = await convertCheckpoint(request({ checkpoint: sd2, prediction: 'epsilon' }));
    expect(forced.prediction).toBe('epsilon');
    expect(forced.modelDir).not.toBe(result.modelDir);
  });

  it('a failing writer or a cancel leaves no folder behind, and nothing is reused afterwards', async () => {
    const cacheRoot = path.join(root, 'cache-fail');
    await expect(convertCheckpoint(request({ cacheRoot, writer: fakeWriter([], { failAfter: true }) }))).rejects.toThrow('writer failed');
    expect(readdirSync(cacheRoot).filter((f) => f !== 'hashes')).toEqual([]);
    const abort = new AbortController();
    await expect(convertCheckpoint(request({ cacheRoot, signal: abort.signal, writer: fakeWriter([], { abort }) }))).rejects.toThrow();
    expect(readdirSync(cacheRoot).filter((f) => f !== 'hashes')).toEqual([]);
    const cancelledBefore = new AbortController();
    cancelledBefore.abort();
    await expect(convertCheckpoint(request({ cacheRoot, signal: cancelledBefore.signal }))).rejects.toMatchObject({ code: 'CANCELLED' });
    const ok = await convertCheckpoint(request({ cacheRoot }));
    expect(ok.reused).toBe(false);
    expect(existsSync(path.join(ok.modelDir, CONVERTED_MARKER))).toBe(true);
  });
});
