/**
 * Atelier's own SD graphs at toy width with the real structure: the interfaces are the diffusers export's, the
 * pipeline runs the folder unchanged end to end, every checkpoint tensor is used, and the weights are streamed.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type Session } from '../../../../src/pipeline/backends/onnx';
import { writeOnnxFolder } from '../../../../src/pipeline/convert/onnx/writeOnnxFolder';
import type { ConvertProgress } from '../../../../src/pipeline/convert/types';
import { txt2img } from '../../../../src/pipeline/pipelines/txt2img';
import { loadModel } from '../../../../src/pipeline/runtime/loadedModel';
import { quietLog, tinyModel } from '../../../helpers/fixtures';
import { randomWeights, sdShapes } from '../../../helpers/randomSdWeights';
import { TINY_SD1_SPEC, TINY_SDXL_SPEC } from '../../../helpers/sdSpecs';

const stats = { runs: 0, runMs: 0 };
const open = (file: string): Promise<Session> => openSession(file, { preference: 'cpu', stats, log: quietLog });
const io = (s: Session): { inputs: string[]; outputs: string[] } => ({
  inputs: s.inputs.map((i) => `${i.name}:${i.type}[${i.shape.map((d) => (typeof d === 'number' ? d : '?')).join(',')}]`),
  outputs: s.outputs.map((o) => `${o.name}:${o.type}[${o.shape.map((d) => (typeof d === 'number' ? d : '?')).join(',')}]`),
});

let dir: string;
let sd1: string;
const progress: ConvertProgress[] = [];
let reads: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-convert-'));
  sd1 = path.join(dir, 'sd1');
  // Tokenizer, scheduler and model_index.json from the fixture folder; the four graphs are Atelier's own.
  cpSync(tinyModel(), sd1, { recursive: true });
  for (const c of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) rmSync(path.join(sd1, c), { recursive: true, force: true });
  const weights = randomWeights(sdShapes(TINY_SD1_SPEC));
  await writeOnnxFolder(weights, TINY_SD1_SPEC, sd1, { precision: 'fp32', onProgress: (p) => progress.push(p) });
  reads = weights.reads;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeOnnxFolder (SD 1.x structure)', () => {
  it('writes the four graphs with the diffusers export interfaces (names, dtypes, dynamic axes), opset 17, weights external', async () => {
    const expected: Record<string, { inputs: string[]; outputs: string[] }> = {
      text_encoder: { inputs: ['input_ids:int32[?,?]'], outputs: ['last_hidden_state:float32[?,?,32]', 'pooler_output:float32[?,32]'] },
      unet: { inputs: ['sample:float32[?,?,?,?]', 'timestep:float32[?]', 'encoder_hidden_states:float32[?,?,32]'], outputs: ['out_sample:float32[?,4,?,?]'] },
      vae_decoder: { inputs: ['latent_sample:float32[?,4,?,?]'], outputs: ['sample:float32[?,3,?,?]'] },
      vae_encoder: { inputs: ['sample:float32[?,3,?,?]'], outputs: ['latent_sample:float32[?,4,?,?]'] },
    };
    for (const [component, want] of Object.entries(expected)) {
      const s = await open(path.join(sd1, component, 'model.onnx'));
      expect(io(s), component).toEqual(want);
      await s.release();
      const model = onnx.ModelProto.decode(readFileSync(path.join(sd1, component, 'model.onnx')));
      expect(Number(model.opsetImport?.[0]?.version)).toBe(17);
      const external = (model.graph?.initializer ?? []).filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
      expect(external.length, component).toBeGreaterThan(0);
      for (const t of external) expect(Number(t.externalData?.find((e) => e.key === 'offset')?.value) % 4096).toBe(0);
      expect(statSync(path.join(sd1, component, 'model.onnx_data')).size).toBeGreaterThan(statSync(path.join(sd1, component, 'model.onnx')).size);
    }
  });

  it('uses every tensor of the checkpoint, and reports progress per stage up to its total', () => {
    expect(new Set(reads)).toEqual(new Set(sdShapes(TINY_SD1_SPEC).keys()));
    const stages = [...new Set(progress.map((p) => p.stage))];
    expect(stages).toEqual(['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']);
    for (const stage of stages) {
      const last = progress.filter((p) => p.stage === stage).at(-1);
      expect(last?.done).toBe(last?.total);
      expect(last?.total).toBeGreaterThan(0);
    }
  });

  it('the pipeline runs the folder unchanged: txt2img gives a finite image that depends on the prompt', async () => {
    const model = await loadModel(sd1, 'cpu', quietLog);
    try {
      const run = async (prompt: string) =>
        txt2img(model, {
          kind: 'txt2img',
          modelDir: sd1,
          prompt,
          negativePrompt: '',
          width: 64,
          height: 64,
          sampling: { sampler: 'euler', steps: 2, guidanceScale: 7.5, seed: 3 },
          previewEvery: 0,
          executionProvider: 'cpu',
        });
      const a = await run('a lighthouse at dusk');
      const b = await run('a red fox');
      expect(a.image.length).toBe(3 * 64 * 64);
      expect(a.image.every(Number.isFinite)).toBe(true);
      expect(a.image.some((v, i) => v !== b.image[i])).toBe(true);
    } finally {
      await model.release();
    }
  });

  it('stops on a cancelled signal before writing model.onnx', async () => {
    const out = path.join(dir, 'cancelled');
    const controller = new AbortController();
    controller.abort();
    await expect(writeOnnxFolder(randomWeights(sdShapes(TINY_SD1_SPEC)), TINY_SD1_SPEC, out, { precision: 'fp32', signal: controller.signal })).rejects.toThrow(/cancelled/);
    expect(existsSync(path.join(out, 'text_encoder', 'model.onnx'))).toBe(false);
  });

  it('names the missing tensor when the checkpoint lacks one', async () => {
    const shapes = sdShapes(TINY_SD1_SPEC);
    shapes.delete('unet.mid_block.attentions.0.proj_in.weight');
    await expect(writeOnnxFolder(randomWeights(shapes), TINY_SD1_SPEC, path.join(dir, 'partial'), { precision: 'fp32' })).rejects.toThrow(/unet\.mid_block\.attentions\.0\.proj_in\.weight/);
  });
});

describe('writeOnnxFolder (SDXL structure)', () => {
  it('adds text_encoder_2 and the text_time inputs with the optimum SDXL interfaces, and the UNet runs', async () => {
    const out = path.join(dir, 'sdxl');
    await writeOnnxFolder(randomWeights(sdShapes(TINY_SDXL_SPEC)), TINY_SDXL_SPEC, out, { precision: 'fp32' });
    const te1 = await open(path.join(out, 'text_encoder', 'model.onnx'));
    expect(io(te1).outputs).toEqual(['last_hidden_state:float32[?,?,32]', 'pooler_output:float32[?,32]', ...[0, 1, 2].map((i) => `hidden_states.${i}:float32[?,?,32]`)]);
    await te1.release();
    const te2 = await open(path.join(out, 'text_encoder_2', 'model.onnx'));
    expect(io(te2).outputs).toEqual(['text_embeds:float32[?,32]', 'last_hidden_state:float32[?,?,32]', ...[0, 1, 2, 3].map((i) => `hidden_states.${i}:float32[?,?,32]`)]);
    const ids = new Int32Array(77).fill(49407);
    ids[0] = 49406;
    ids[1] = 320;
    const encoded = await te2.run({ input_ids: { type: 'int32', data: ids, dims: [1, 77] } });
    expect(encoded.text_embeds.dims).toEqual([1, 32]);
    await te2.release();
    const unet = await open(path.join(out, 'unet', 'model.onnx'));
    expect(io(unet).inputs).toEqual(['sample:float32[?,?,?,?]', 'timestep:float32[?]', 'encoder_hidden_states:float32[?,?,64]', 'text_embeds:float32[?,32]', 'time_ids:float32[?,6]']);
    const result = await unet.run({
      sample: { type: 'float32', data: new Float32Array(2 * 4 * 8 * 8).fill(0.5), dims: [2, 4, 8, 8] },
      timestep: { type: 'float32', data: Float32Array.from([500, 500]), dims: [2] },
      encoder_hidden_states: { type: 'float32', data: new Float32Array(2 * 77 * 64).fill(0.1), dims: [2, 77, 64] },
      text_embeds: { type: 'float32', data: new Float32Array(2 * 32).fill(0.2), dims: [2, 32] },
      time_ids: { type: 'float32', data: Float32Array.from([64, 64, 0, 0, 64, 64, 64, 64, 0, 0, 64, 64]), dims: [2, 6] },
    });
    expect(result.out_sample.dims).toEqual([2, 4, 8, 8]);
    expect(Array.from(result.out_sample.data as Float32Array).every(Number.isFinite)).toBe(true);
    await unet.release();
  });
});

describe('writeOnnxFolder fp16', () => {
  it('stores the weights as float16 (half the data file) and keeps float32 inputs and outputs', async () => {
    const out = path.join(dir, 'fp16');
    await writeOnnxFolder(randomWeights(sdShapes(TINY_SD1_SPEC)), TINY_SD1_SPEC, out, { precision: 'fp16' });
    const model = onnx.ModelProto.decode(readFileSync(path.join(out, 'unet', 'model.onnx')));
    const floats = (model.graph?.initializer ?? []).filter((t) => t.dataType === 1 || t.dataType === 10);
    // Only the float32 constants the time embedding and Resize need stay float32.
    expect(floats.filter((t) => t.dataType === 10).length).toBeGreaterThan(floats.filter((t) => t.dataType === 1).length * 10);
    expect(model.graph?.input?.map((i) => i.type?.tensorType?.elemType)).toEqual([1, 1, 1]);
    expect(statSync(path.join(out, 'unet', 'model.onnx_data')).size).toBeLessThan(statSync(path.join(sd1, 'unet', 'model.onnx_data')).size * 0.6);
  });
});
