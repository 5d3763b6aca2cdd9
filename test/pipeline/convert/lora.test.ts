/** LoRA merge: every key format, LoCon convs, several LoRAs with weights, against a direct computation. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint, type OpenedCheckpoint } from '../../../src/pipeline/convert/openCheckpoint';
import { parseLora, withLoras, loraReport } from '../../../src/pipeline/convert/lora';
import { openSafetensors, type SafetensorsFile } from '../../../src/pipeline/convert/safetensors';
import { tinyLdm } from '../../helpers/ldmCheckpoint';
import { seeded, writeSafetensors, type TestTensor } from '../../helpers/safetensors';

const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-lora-'));
let sd1: OpenedCheckpoint;
let sdxl: OpenedCheckpoint;
const opened: SafetensorsFile[] = [];

beforeAll(async () => {
  writeSafetensors(path.join(dir, 'sd1.safetensors'), tinyLdm({ family: 'sd1' }));
  writeSafetensors(path.join(dir, 'sdxl.safetensors'), tinyLdm({ family: 'sdxl' }));
  sd1 = await openCheckpoint(path.join(dir, 'sd1.safetensors'));
  sdxl = await openCheckpoint(path.join(dir, 'sdxl.safetensors'));
});
afterAll(async () => {
  await Promise.all([sd1.close(), sdxl.close(), ...opened.map((f) => f.close())]);
});

let n = 0;
async function lora(tensors: Record<string, TestTensor>): Promise<SafetensorsFile> {
  const file = path.join(dir, `lora${n++}.safetensors`);
  writeSafetensors(file, tensors);
  const st = await openSafetensors(file);
  opened.push(st);
  return st;
}

/** W + scale · up · down, written out as the textbook sum over the rank, element by element. */
function direct(w: Float32Array, up: Float32Array, down: Float32Array, rank: number, scale: number): Float32Array {
  const out = Float32Array.from(w);
  const outDim = up.length / rank;
  const inner = down.length / rank;
  for (let o = 0; o < outDim; o++) {
    for (let i = 0; i < inner; i++) {
      let sum = 0;
      for (let r = 0; r < rank; r++) sum += up[o * rank + r] * down[r * inner + i];
      out[o * inner + i] += scale * sum;
    }
  }
  return out;
}

function close(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst).toBeLessThan(1e-5);
}

describe('LoRA', () => {
  it('kohya linear, LoCon conv and text-encoder modules merge as W + weight·alpha/rank·up·down', async () => {
    const r = 4;
    const q = 'unet.down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q.weight'; // [32, 32]
    const conv = 'unet.down_blocks.0.resnets.0.conv1.weight'; // [32, 32, 3, 3]
    const te = 'text_encoder.text_model.encoder.layers.0.self_attn.k_proj.weight'; // [64, 64]
    const file = await lora({
      'lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight': { shape: [r, 32] },
      'lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight': { shape: [32, r] },
      'lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q.alpha': { shape: [], data: [2] },
      'lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight': { shape: [r, 32, 3, 3], dtype: 'F16' },
      'lora_unet_down_blocks_0_resnets_0_conv1.lora_up.weight': { shape: [32, r, 1, 1], dtype: 'F16' },
      'lora_unet_down_blocks_0_resnets_0_conv1.alpha': { shape: [], data: [1] },
      'lora_te_text_model_encoder_layers_0_self_attn_k_proj.lora_down.weight': { shape: [r, 64] },
      'lora_te_text_model_encoder_layers_0_self_attn_k_proj.lora_up.weight': { shape: [64, r] },
    });
    const parsed = parseLora(file, sd1.weights, 2);
    expect(parsed.unmatched).toEqual([]);
    expect(parsed.modules.map((m) => m.target).sort()).toEqual([conv, q, te].sort());
    const merged = withLoras(sd1.weights, [{ lora: parsed, weight: 0.8 }]);
    const prefix = (t: string): string => (t === q ? 'lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q' : t === conv ? 'lora_unet_down_blocks_0_resnets_0_conv1' : 'lora_te_text_model_encoder_layers_0_self_attn_k_proj');
    for (const [target, alpha] of [[q, 2], [conv, 1], [te, r]] as const) {
      const up = await file.read(`${prefix(target)}.lora_up.weight`);
      const down = await file.read(`${prefix(target)}.lora_down.weight`);
      close(await merged.read(target), direct(await sd1.weights.read(target), up, down, r, (0.8 * alpha) / r));
    }
    // Untouched weights stay bit-identical; the inverse check: weight 0 changes nothing.
    const other = 'unet.conv_in.weight';
    expect(await merged.read(other)).toEqual(await sd1.weights.read(other));
    expect(await withLoras(sd1.weights, [{ lora: parsed, weight: 0 }]).read(q)).toEqual(await sd1.weights.read(q));
  });

  it('several LoRAs on one weight add up, each with its own weight; PEFT lora_A/lora_B and diffusers lora.down/up formats', async () => {
    const r = 2;
    const target = 'unet.up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_v.weight'; // [64, 64]
    const peft = await lora({
      'unet.up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_v.lora_A.weight': { shape: [r, 64] },
      'unet.up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_v.lora_B.weight': { shape: [64, r] },
    });
    const old = await lora({
      'up_blocks.1.attentions.1.transformer_blocks.0.attn2.processor.to_v_lora.down.weight': { shape: [r, 64], data: seeded(r * 64, 99) },
      'up_blocks.1.attentions.1.transformer_blocks.0.attn2.processor.to_v_lora.up.weight': { shape: [64, r], data: seeded(64 * r, 98) },
      'text_encoder.text_model.encoder.layers.1.self_attn.out_proj.lora.down.weight': { shape: [r, 64] },
      'text_encoder.text_model.encoder.layers.1.self_attn.out_proj.lora.up.weight': { shape: [64, r] },
    });
    const a = parseLora(peft, sd1.weights, 2);
    const b = parseLora(old, sd1.weights, 2);
    expect([a.unmatched, b.unmatched]).toEqual([[], []]);
    expect(b.modules.map((m) => m.target).sort()).toEqual(['text_encoder.text_model.encoder.layers.1.self_attn.out_proj.weight', target]);
    const merged = withLoras(sd1.weights, [{ lora: a, weight: 0.5 }, { lora: b, weight: -1.25 }]);
    const expected = direct(
      direct(await sd1.weights.read(target), await peft.read(`${target.slice(0, -7)}.lora_B.weight`), await peft.read(`${target.slice(0, -7)}.lora_A.weight`), r, 0.5),
      seeded(64 * r, 98),
      seeded(r * 64, 99),
      r,
      -1.25,
    );
    close(await merged.read(target), expected);
  });

  it('SDXL: lora_te1_/lora_te2_ and kohya UNet modules in original-LDM naming find their diffusers weights', async () => {
    const file = await lora({
      'lora_te1_text_model_encoder_layers_1_mlp_fc1.lora_down.weight': { shape: [2, 64] },
      'lora_te1_text_model_encoder_layers_1_mlp_fc1.lora_up.weight': { shape: [256, 2] },
      'lora_te2_text_model_encoder_layers_2_self_attn_q_proj.lora_down.weight': { shape: [2, 128] },
      'lora_te2_text_model_encoder_layers_2_self_attn_q_proj.lora_up.weight': { shape: [128, 2] },
      'lora_unet_input_blocks_4_1_transformer_blocks_1_attn2_to_k.lora_down.weight': { shape: [2, 192] },
      'lora_unet_input_blocks_4_1_transformer_blocks_1_attn2_to_k.lora_up.weight': { shape: [64, 2] },
      'lora_unet_output_blocks_2_0_skip_connection.lora_down.weight': { shape: [2, 192, 1, 1] },
      'lora_unet_output_blocks_2_0_skip_connection.lora_up.weight': { shape: [128, 2, 1, 1] },
      'lora_unet_middle_block_1_proj_in.lora_down.weight': { shape: [2, 128] },
      'lora_unet_middle_block_1_proj_in.lora_up.weight': { shape: [128, 2] },
    });
    const parsed = parseLora(file, sdxl.weights, 2);
    expect(parsed.unmatched).toEqual([]);
    expect(parsed.modules.map((m) => m.target).sort()).toEqual([
      'text_encoder.text_model.encoder.layers.1.mlp.fc1.weight',
      'text_encoder_2.text_model.encoder.layers.2.self_attn.q_proj.weight',
      'unet.down_blocks.1.attentions.0.transformer_blocks.1.attn2.to_k.weight',
      'unet.mid_block.attentions.0.proj_in.weight',
      'unet.up_blocks.0.resnets.2.conv_shortcut.weight',
    ]);
  });

  it('keys that match nothing are reported with count and examples; unsupported forms too; a misfit shape is refused', async () => {
    const file = await lora({
      'lora_unet_down_blocks_9_attentions_0_proj_in.lora_down.weight': { shape: [2, 32] },
      'lora_unet_down_blocks_9_attentions_0_proj_in.lora_up.weight': { shape: [32, 2] },
      'lora_unet_down_blocks_0_resnets_0_conv1.hada_w1_a': { shape: [2, 2] },
      'lora_unet_down_blocks_1_attentions_0_proj_in.alpha': { shape: [], data: [1] },
    });
    const parsed = parseLora(file, sd1.weights, 2);
    expect(parsed.modules).toEqual([]);
    const report = loraReport({ lora: parsed, weight: 1 });
    expect(report).toMatchObject({ modules: 0, unmatched: 4 });
    expect(report.examples).toContain('lora_unet_down_blocks_9_attentions_0_proj_in.lora_down.weight');
    expect(report.examples).toContain('lora_unet_down_blocks_0_resnets_0_conv1.hada_w1_a');
    const misfit = await lora({
      'lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight': { shape: [2, 48] },
      'lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight': { shape: [32, 2] },
    });
    expect(() => parseLora(misfit, sd1.weights, 2)).toThrow(/does not fit unet\.down_blocks\.1\.attentions\.0\.transformer_blocks\.0\.attn1\.to_q\.weight \[32,32\]; the LoRA was trained for another model family/);
  });
});
