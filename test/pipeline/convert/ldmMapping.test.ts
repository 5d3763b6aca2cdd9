/** Recognition, SdSpec and LDM → diffusers mapping on tiny generated checkpoints of every family. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCheckpoint, type OpenedCheckpoint } from '../../../src/pipeline/convert/openCheckpoint';
import { openSafetensors } from '../../../src/pipeline/convert/safetensors';
import { tinyLdm, TINY, type TinyLdmOptions } from '../../helpers/ldmCheckpoint';
import { seeded, writeSafetensors, type TestTensor } from '../../helpers/safetensors';

const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-ldm-'));
let count = 0;

function write(tensors: Record<string, TestTensor>, metadata?: Record<string, string>): string {
  const file = path.join(dir, `m${count++}.safetensors`);
  writeSafetensors(file, tensors, metadata);
  return file;
}

async function withCheckpoint<T>(options: TinyLdmOptions, run: (c: OpenedCheckpoint, file: string) => Promise<T>, edit?: (t: Record<string, TestTensor>) => void): Promise<T> {
  const tensors = tinyLdm(options);
  edit?.(tensors);
  const file = write(tensors);
  const c = await openCheckpoint(file);
  try {
    return await run(c, file);
  } finally {
    await c.close();
  }
}

/** The raw source tensor as float32. */
async function source(file: string, name: string): Promise<Float32Array> {
  const st = await openSafetensors(file);
  try {
    return await st.read(name);
  } finally {
    await st.close();
  }
}

/** diffusers' UNet2DConditionModel key grammar (independent of the mapping code): block indices within the spec. */
function validUnetKey(name: string, levels: number, lpb: number, downAttn: readonly boolean[]): boolean {
  const k = name.slice('unet.'.length);
  let m = /^down_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\./.exec(k);
  if (m) return Number(m[1]) < levels && Number(m[3]) < lpb && (m[2] === 'resnets' || downAttn[Number(m[1])]);
  m = /^down_blocks\.(\d+)\.downsamplers\.0\.conv\.(weight|bias)$/.exec(k);
  if (m) return Number(m[1]) < levels - 1;
  m = /^up_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\./.exec(k);
  if (m) return Number(m[1]) < levels && Number(m[3]) <= lpb && (m[2] === 'resnets' || [...downAttn].reverse()[Number(m[1])]);
  m = /^up_blocks\.(\d+)\.upsamplers\.0\.conv\.(weight|bias)$/.exec(k);
  if (m) return Number(m[1]) < levels - 1;
  return /^(mid_block\.(resnets\.[01]|attentions\.0)\.|conv_in\.|conv_out\.|conv_norm_out\.|time_embedding\.linear_[12]\.|add_embedding\.linear_[12]\.)/.test(k);
}

function checkUnetNames(c: OpenedCheckpoint): void {
  const u = c.spec.unet;
  const bad = c.weights.names().filter((n) => n.startsWith('unet.') && !validUnetKey(n, u.blockOutChannels.length, u.layersPerBlock, u.downBlockHasAttention));
  expect(bad).toEqual([]);
}

describe('single-file LDM checkpoints', () => {
  it('SD 1.x: recognised, configs from shapes, every key mapped, values untouched', async () => {
    await withCheckpoint({ family: 'sd1' }, async (c, file) => {
      expect(c.layout).toBe('single-file');
      expect(c.spec).toMatchObject({ family: 'sd1', prediction: 'epsilon' });
      expect(c.spec.unet).toEqual({
        inChannels: 4,
        outChannels: 4,
        blockOutChannels: [32, 32, 64, 64],
        layersPerBlock: 2,
        attentionHeadDim: [8, 8, 8, 8],
        crossAttentionDim: TINY.hf,
        transformerLayersPerBlock: [1, 1, 1, 1],
        useLinearProjection: false,
        downBlockHasAttention: [true, true, true, false],
        upBlockHasAttention: [false, true, true, true],
      });
      expect(c.spec.textEncoders).toEqual([{ hiddenSize: 64, layers: 2, heads: 1, intermediateSize: 256, activation: 'quick_gelu', maxPositions: 8, vocabSize: 32 }]);
      expect(c.spec.vae).toEqual({ blockOutChannels: [16, 32], layersPerBlock: 2, latentChannels: 4, scalingFactor: 0.18215 });
      checkUnetNames(c);
      const names = c.weights.names();
      expect(names.length).toBe(Object.keys(tinyLdm({ family: 'sd1' })).length);
      // One of each mapping family, value for value.
      const pairs: [string, string][] = [
        ['unet.down_blocks.0.resnets.1.conv1.weight', 'model.diffusion_model.input_blocks.2.0.in_layers.2.weight'],
        ['unet.down_blocks.2.resnets.0.conv_shortcut.weight', 'model.diffusion_model.input_blocks.7.0.skip_connection.weight'],
        ['unet.down_blocks.2.downsamplers.0.conv.weight', 'model.diffusion_model.input_blocks.9.0.op.weight'],
        ['unet.down_blocks.2.attentions.1.transformer_blocks.0.attn2.to_k.weight', 'model.diffusion_model.input_blocks.8.1.transformer_blocks.0.attn2.to_k.weight'],
        ['unet.up_blocks.0.upsamplers.0.conv.weight', 'model.diffusion_model.output_blocks.2.1.conv.weight'],
        ['unet.up_blocks.1.upsamplers.0.conv.bias', 'model.diffusion_model.output_blocks.5.2.conv.bias'],
        ['unet.up_blocks.3.attentions.2.proj_out.weight', 'model.diffusion_model.output_blocks.11.1.proj_out.weight'],
        ['unet.mid_block.resnets.1.time_emb_proj.weight', 'model.diffusion_model.middle_block.2.emb_layers.1.weight'],
        ['unet.time_embedding.linear_2.bias', 'model.diffusion_model.time_embed.2.bias'],
        ['unet.conv_norm_out.weight', 'model.diffusion_model.out.0.weight'],
        ['vae.decoder.up_blocks.0.resnets.2.conv2.weight', 'first_stage_model.decoder.up.1.block.2.conv2.weight'],
        ['vae.decoder.up_blocks.0.upsamplers.0.conv.weight', 'first_stage_model.decoder.up.1.upsample.conv.weight'],
        ['vae.decoder.up_blocks.1.resnets.0.conv_shortcut.weight', 'first_stage_model.decoder.up.0.block.0.nin_shortcut.weight'],
        ['vae.encoder.mid_block.attentions.0.group_norm.bias', 'first_stage_model.encoder.mid.attn_1.norm.bias'],
        ['vae.encoder.conv_norm_out.weight', 'first_stage_model.encoder.norm_out.weight'],
        ['text_encoder.text_model.encoder.layers.1.self_attn.v_proj.weight', 'cond_stage_model.transformer.text_model.encoder.layers.1.self_attn.v_proj.weight'],
      ];
      for (const [target, from] of pairs) {
        expect(names, target).toContain(target);
        expect(await c.weights.read(target), target).toEqual(await source(file, from));
      }
      // The VAE mid attention: LDM stores 1×1 convs, diffusers' Linear wants [out, in].
      expect(c.weights.info('vae.decoder.mid_block.attentions.0.to_out.0.weight')?.shape).toEqual([32, 32]);
      expect(await c.weights.read('vae.decoder.mid_block.attentions.0.to_out.0.weight')).toEqual(await source(file, 'first_stage_model.decoder.mid.attn_1.proj_out.weight'));
      await expect(c.weights.read('unet.nothing')).rejects.toThrow(/no weight unet\.nothing/);
    });
  });

  it('SD 2.x: OpenCLIP in_proj split into q/k/v, last layer dropped, 64-channel heads, linear projections', async () => {
    await withCheckpoint({ family: 'sd2' }, async (c, file) => {
      expect(c.spec.family).toBe('sd2');
      expect(c.spec.unet).toMatchObject({ attentionHeadDim: [1, 1, 2, 2], useLinearProjection: true, crossAttentionDim: TINY.open });
      expect(c.spec.textEncoders).toEqual([{ hiddenSize: 128, layers: 2, heads: 2, intermediateSize: 512, activation: 'gelu', maxPositions: 8, vocabSize: 32 }]);
      checkUnetNames(c);
      const names = c.weights.names();
      expect(names.filter((n) => n.startsWith('text_encoder.text_model.encoder.layers.2.'))).toEqual([]);
      expect(names).not.toContain('text_encoder.text_projection.weight');
      const fused = await source(file, 'cond_stage_model.model.transformer.resblocks.1.attn.in_proj_weight');
      const h = TINY.open;
      for (const [i, p] of ['q', 'k', 'v'].entries()) {
        const name = `text_encoder.text_model.encoder.layers.1.self_attn.${p}_proj.weight`;
        expect(c.weights.info(name)?.shape).toEqual([h, h]);
        expect(await c.weights.read(name)).toEqual(fused.slice(i * h * h, (i + 1) * h * h));
      }
      const bias = await source(file, 'cond_stage_model.model.transformer.resblocks.0.attn.in_proj_bias');
      expect(await c.weights.read('text_encoder.text_model.encoder.layers.0.self_attn.v_proj.bias')).toEqual(bias.slice(2 * h, 3 * h));
      expect(await c.weights.read('text_encoder.text_model.embeddings.position_embedding.weight')).toEqual(await source(file, 'cond_stage_model.model.positional_embedding'));
      expect(await c.weights.read('text_encoder.text_model.encoder.layers.0.mlp.fc2.weight')).toEqual(await source(file, 'cond_stage_model.model.transformer.resblocks.0.mlp.c_proj.weight'));
      expect(await c.weights.read('text_encoder.text_model.final_layer_norm.bias')).toEqual(await source(file, 'cond_stage_model.model.ln_final.bias'));
      expect(c.notes.join()).toMatch(/left out \d+ tensors/);
    });
  });

  it('SD 2.x prediction: ComfyUI’s norm-spread test, the file metadata, and an explicit override, in that precedence', async () => {
    const key = 'model.diffusion_model.output_blocks.11.1.transformer_blocks.0.norm1.bias';
    const spread = (scale: number) => (t: Record<string, TestTensor>) => {
      t[key] = { shape: [128], data: seeded(128, 7).map((v) => v * scale) };
    };
    // Uniform in [-s, s) has std s/√3: 0.5 → 0.29 (v), 0.05 → 0.03 (epsilon).
    expect(await withCheckpoint({ family: 'sd2' }, async (c) => [c.spec.prediction, c.predictionWhy], spread(0.5))).toEqual(['v_prediction', expect.stringMatching(/std 0\.\d+ > 0\.09/)]);
    expect(await withCheckpoint({ family: 'sd2' }, async (c) => c.spec.prediction, spread(0.05))).toBe('epsilon');
    const tensors = tinyLdm({ family: 'sd2' });
    spread(0.5)(tensors);
    const withMeta = write(tensors, { 'modelspec.prediction_type': 'epsilon' });
    const a = await openCheckpoint(withMeta);
    expect(a.spec.prediction).toBe('epsilon');
    await a.close();
    const b = await openCheckpoint(withMeta, { prediction: 'v_prediction' });
    expect([b.spec.prediction, b.predictionWhy]).toEqual(['v_prediction', 'chosen explicitly']);
    await b.close();
    // SD 1.x never guesses v.
    expect(await withCheckpoint({ family: 'sd1' }, async (c) => c.spec.prediction)).toBe('epsilon');
  });

  it('SDXL: two encoders, text_projection transposed, addition embedding, no attention in the first level', async () => {
    await withCheckpoint({ family: 'sdxl' }, async (c, file) => {
      expect(c.spec.family).toBe('sdxl');
      expect(c.spec.unet).toMatchObject({
        blockOutChannels: [32, 64, 128],
        attentionHeadDim: [0.5, 1, 2],
        transformerLayersPerBlock: [1, 2, 3],
        downBlockHasAttention: [false, true, true],
        upBlockHasAttention: [true, true, false],
        crossAttentionDim: TINY.hf + TINY.bigG,
        addition: { timeEmbedDim: TINY.addTime, projectionClassEmbeddingsInputDim: TINY.projection + 6 * TINY.addTime },
      });
      expect(c.spec.vae.scalingFactor).toBe(0.13025);
      expect(c.spec.textEncoders[1]).toEqual({ hiddenSize: 128, layers: 3, heads: 2, intermediateSize: 512, activation: 'gelu', maxPositions: 8, vocabSize: 32, projectionDim: TINY.projection });
      expect(c.spec.textEncoders[0].layers).toBe(2);
      checkUnetNames(c);
      const names = c.weights.names();
      expect(names.filter((n) => n.startsWith('unet.down_blocks.0.attentions'))).toEqual([]);
      expect(names).toContain('unet.down_blocks.2.attentions.1.transformer_blocks.2.attn2.to_k.weight');
      expect(c.weights.info('unet.down_blocks.2.attentions.1.transformer_blocks.2.attn2.to_k.weight')?.shape).toEqual([128, 192]);
      expect(names).toContain('unet.up_blocks.0.attentions.2.transformer_blocks.2.norm3.weight');
      expect(names).toContain('unet.up_blocks.1.upsamplers.0.conv.weight');
      expect(names.filter((n) => n.startsWith('unet.up_blocks.2.attentions') || n.startsWith('unet.up_blocks.2.upsamplers'))).toEqual([]);
      expect(await c.weights.read('unet.add_embedding.linear_1.weight')).toEqual(await source(file, 'model.diffusion_model.label_emb.0.0.weight'));
      // Both encoders keep every layer (SDXL reads hidden_states[-2]).
      expect(names).toContain('text_encoder_2.text_model.encoder.layers.2.self_attn.k_proj.bias');
      expect(names).toContain('text_encoder.text_model.encoder.layers.1.mlp.fc1.weight');
      const p = await source(file, 'conditioner.embedders.1.model.text_projection');
      const projected = await c.weights.read('text_encoder_2.text_projection.weight');
      expect(c.weights.info('text_encoder_2.text_projection.weight')?.shape).toEqual([TINY.projection, TINY.bigG]);
      for (const [i, j] of [[0, 0], [3, 17], [127, 63]]) expect(projected[j * TINY.bigG + i]).toBe(p[i * TINY.projection + j]);
      expect(names).not.toContain('text_encoder_2.logit_scale');
    });
  });

  it('inpainting: a 9-channel UNet is recognised as such, with conv_in keeping its 9 input channels', async () => {
    for (const family of ['sd1', 'sd2', 'sdxl'] as const) {
      await withCheckpoint({ family, inChannels: 9 }, async (c) => {
        expect(c.inpainting).toBe(true);
        expect(c.spec.unet.inChannels).toBe(9);
        expect(c.weights.info('unet.conv_in.weight')?.shape[1]).toBe(9);
        expect(c.spec.prediction).toBe('epsilon');
      });
    }
  });

  it('partial and foreign files are refused, saying what was found and what is missing', async () => {
    const refuse = async (tensors: Record<string, TestTensor>): Promise<string> => {
      const file = write(tensors);
      try {
        await (await openCheckpoint(file)).close();
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(await refuse(tinyLdm({ family: 'sd1', omit: ['vae', 'text'] }))).toMatch(/holds a UNet \(model\.diffusion_model\.\*\), but it lacks the VAE \(first_stage_model\.\*\) and the text encoder/);
    expect(await refuse(tinyLdm({ family: 'sdxl', omit: ['vae'] }))).toMatch(/SDXL text encoder 1.*lacks the VAE/);
    const noSecond = Object.fromEntries(Object.entries(tinyLdm({ family: 'sdxl' })).filter(([k]) => !k.startsWith('conditioner.embedders.1.')));
    expect(await refuse(noSecond)).toMatch(/lacks one of the two SDXL text encoders/);
    expect(await refuse({ 'lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight': { shape: [4, 32] } })).toMatch(/is a LoRA, not a checkpoint/);
    expect(await refuse({ 'encoder.down.0.block.0.conv1.weight': { shape: [1] }, 'decoder.up.0.block.0.conv1.weight': { shape: [1] } })).toMatch(/standalone VAE/);
    expect(await refuse({ 'model.diffusion_model.joint_blocks.0.x.weight': { shape: [1] } })).toMatch(/Stable Diffusion 3/);
    expect(await refuse({ weight: { shape: [2] } })).toMatch(/none of its 1 tensors \(e\.g\. weight\) belong to a Stable Diffusion checkpoint/);
    const pix2pix = tinyLdm({ family: 'sd1' });
    pix2pix['model.diffusion_model.input_blocks.0.0.weight'] = { shape: [32, 8, 3, 3] };
    expect(await refuse(pix2pix)).toMatch(/8 input channels \(InstructPix2Pix\)/);
    const extra = tinyLdm({ family: 'sd1' });
    extra['model.diffusion_model.input_blocks.1.5.mystery.weight'] = { shape: [1] };
    expect(await refuse(extra)).toMatch(/1 of its tensors match no part of that architecture \(model\.diffusion_model\.input_blocks\.1\.5\.mystery\.weight\)/);
    const mixed = tinyLdm({ family: 'sd1' });
    mixed['cond_stage_model.transformer.text_model.embeddings.token_embedding.weight'] = { shape: [32, 128] };
    expect(await refuse(mixed)).toMatch(/cross-attends to 64 channels but the text encoder gives 128/);
  });

  it('EMA copies and position_ids are left out with a note, not reported as unknown', async () => {
    await withCheckpoint(
      { family: 'sd1' },
      async (c) => {
        expect(c.notes.join()).toMatch(/left out 2 tensors/);
        expect(c.weights.names().some((n) => n.includes('position_ids') || n.includes('ema'))).toBe(false);
      },
      (t) => {
        t['model_ema.decay'] = { shape: [] };
        t['cond_stage_model.transformer.text_model.embeddings.position_ids'] = { shape: [1, 8] };
      },
    );
  });
});

describe('inputs that are not a checkpoint file', () => {
  it('a folder without model_index.json, and a missing path', async () => {
    await expect(openCheckpoint(dir)).rejects.toThrow(/folder without model_index\.json/);
    await expect(openCheckpoint(path.join(dir, 'absent.safetensors'))).rejects.toMatchObject({ code: 'MODEL_MISSING_FILE' });
    writeFileSync(path.join(dir, 'x.ckpt'), Buffer.from([0x80, 0x04, 0x95, 0, 0, 0, 0, 0, 0]));
    await expect(openCheckpoint(path.join(dir, 'x.ckpt'))).rejects.toMatchObject({ code: 'MODEL_UNSAFE' });
  });
});
