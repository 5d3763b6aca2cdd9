/**
 * A1111 chunking and weighting through the real text-encoder and UNet path (tiny random fixtures with
 * the diffusers interface: a dynamic sequence axis on encoder_hidden_states).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../../src/pipeline/runtime/loadedModel';
import { encodePrompts } from '../../../src/pipeline/pipelines/stages';
import { txt2img } from '../../../src/pipeline/pipelines/txt2img';
import { quietLog, tinyModel } from '../../helpers/fixtures';

const opened: LoadedModel[] = [];
afterAll(async () => {
  for (const m of opened) await m.release();
});

async function open(dir: string): Promise<LoadedModel> {
  const model = await loadModel(dir, 'cpu', quietLog);
  opened.push(model);
  return model;
}

let shared: Promise<LoadedModel> | undefined;
/** One tiny model for the tests that only encode. */
function tiny(): Promise<LoadedModel> {
  shared ??= open(tinyModel());
  return shared;
}

async function plainEncoding(model: LoadedModel, text: string): Promise<Float32Array> {
  return (await model.textEncoder.encode(model.tokenizer.encodePadded(text).ids)).hidden;
}

const words = (n: number, word = 'cat'): string => Array.from({ length: n }, () => word).join(' ');
const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;

describe('prompt encoding with A1111 chunks and weights', () => {
  it('a prompt without syntax of ≤ 75 tokens gives bit-identical embeddings to the plain diffusers path', async () => {
    const model = await tiny();
    const prompt = `a red fox in the snow, ${words(60)}`;
    const negative = 'low quality, blurry';
    const warnings: string[] = [];
    const c = await encodePrompts(model, prompt, negative, 7.5, (w) => warnings.push(w));
    expect(c.seqLength).toBe(77);
    const expected = new Float32Array(c.context.length);
    expected.set(await plainEncoding(model, negative), 0);
    expected.set(await plainEncoding(model, prompt), c.context.length / 2);
    expect(Buffer.from(c.context.buffer, c.context.byteOffset, c.context.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('100 tokens become two 77-token chunks; the short negative is padded with an empty-prompt chunk', async () => {
    const model = await tiny();
    const warnings: string[] = [];
    const c = await encodePrompts(model, words(100), 'blurry', 7.5, (w) => warnings.push(w));
    expect(c.seqLength).toBe(154);
    expect(c.batch).toBe(2);
    const width = c.context.length / (2 * 154);
    const row = 77 * width;
    const uncond = c.context.subarray(0, 2 * row);
    const cond = c.context.subarray(2 * row);
    // Chunk 1: BOS + 75 cats + EOS; chunk 2: BOS + 25 cats + EOS + padding.
    expect(Array.from(cond.subarray(0, row))).toEqual(Array.from(await plainEncoding(model, words(75))));
    expect(Array.from(cond.subarray(row))).toEqual(Array.from(await plainEncoding(model, words(25))));
    expect(Array.from(uncond.subarray(0, row))).toEqual(Array.from(await plainEncoding(model, 'blurry')));
    expect(Array.from(uncond.subarray(row))).toEqual(Array.from(await plainEncoding(model, '')));
    expect(warnings).toEqual([]);
  });

  it('BREAK starts a new chunk; a longer negative pads the prompt instead', async () => {
    const model = await tiny();
    const c = await encodePrompts(model, 'a cat BREAK a dog', words(10), 7.5, () => undefined);
    expect(c.seqLength).toBe(154);
    const row = (c.context.length / (2 * 154)) * 77;
    expect(Array.from(c.context.subarray(2 * row, 3 * row))).toEqual(Array.from(await plainEncoding(model, 'a cat')));
    expect(Array.from(c.context.subarray(3 * row))).toEqual(Array.from(await plainEncoding(model, 'a dog')));
    expect(Array.from(c.context.subarray(row, 2 * row))).toEqual(Array.from(await plainEncoding(model, '')));
  });

  it('weights scale the token embeddings and keep the chunk mean', async () => {
    const model = await tiny();
    const plain = await plainEncoding(model, 'a cat on a mat');
    const c = await encodePrompts(model, 'a (cat:1.5) on a [mat]', '', 1, () => undefined);
    expect(c.seqLength).toBe(77);
    const width = c.context.length / 77;
    expect(mean(c.context)).toBeCloseTo(mean(plain), 5);
    // The rescale factor is Σz / Σ(w·z) over the whole chunk.
    let sum = 0;
    let weightedSum = 0;
    const weights = [1, 1, 1.5, 1, 1, 1 / 1.1, ...Array.from({ length: 71 }, () => 1)];
    for (let t = 0; t < 77; t++) {
      for (let d = 0; d < width; d++) {
        sum += plain[t * width + d];
        weightedSum += Math.fround(plain[t * width + d] * weights[t]);
      }
    }
    const k = sum / weightedSum;
    // "cat" is token 2 (after BOS and "a"), "mat" token 5.
    for (let d = 0; d < width; d++) {
      expect(c.context[2 * width + d]).toBeCloseTo(plain[2 * width + d] * 1.5 * k, 5);
      expect(c.context[5 * width + d]).toBeCloseTo((plain[5 * width + d] / 1.1) * k, 5);
      expect(c.context[1 * width + d]).toBeCloseTo(plain[1 * width + d] * k, 5);
    }
    // The inverse: the plain prompt with the same words is not what the weighted one gives.
    expect(Math.abs(c.context[2 * width] - plain[2 * width])).toBeGreaterThan(1e-4);
  });

  it('a UNet with a fixed 77-token context keeps the first chunk and says how many tokens were dropped', async () => {
    const model = await open(tinyModel({ variant: { idsType: 'int32', timestep: 'float-batch', floatIo: 'float32', fixedBatchOne: false, fixedSequence: true } }));
    const warnings: string[] = [];
    const c = await encodePrompts(model, words(100), '', 7.5, (w) => warnings.push(w));
    expect(c.seqLength).toBe(77);
    expect(warnings.join('\n')).toMatch(/prompt has 2 chunks of 75 tokens but this UNet takes a fixed 77-token context; the last 25 tokens were dropped/);
  });

  it('txt2img runs a 154-token context through the UNet, and the second chunk changes the image', async () => {
    const model = await tiny();
    const run = async (prompt: string): Promise<Float32Array> =>
      (
        await txt2img(model, {
          kind: 'txt2img',
          modelDir: model.folder.dir,
          prompt,
          negativePrompt: 'low quality',
          width: 64,
          height: 64,
          sampling: { sampler: 'euler', steps: 2, guidanceScale: 3, seed: 7 },
          previewEvery: 0,
          executionProvider: 'cpu',
        })
      ).image;
    const short = await run(words(75));
    const long = await run(`${words(75)} dog dog dog`);
    expect(long.length).toBe(3 * 64 * 64);
    let diff = 0;
    for (let i = 0; i < short.length; i++) diff = Math.max(diff, Math.abs(short[i] - long[i]));
    expect(diff).toBeGreaterThan(1e-4);
  });
});
