/**
 * Tiny single-file LDM checkpoints (A1111/civitai key layout) of each family, with small channel counts but
 * the real key structure: SD 1.x (HF CLIP), SD 2.x (OpenCLIP, linear proj_in), SDXL (two encoders,
 * label_emb, a first level without attention), inpainting (9 input channels).
 */
import type { TestTensor } from './safetensors';

export interface TinyLdmOptions {
  readonly family: 'sd1' | 'sd2' | 'sdxl';
  readonly inChannels?: 4 | 9;
  /** Leave parts out to make partial files. */
  readonly omit?: readonly ('unet' | 'vae' | 'text')[];
  /** A runnable model: CLIP's real vocabulary (49408) and context (77), so the shipped tokenizer's ids fit, and an 8× VAE. */
  readonly clipVocab?: boolean;
}


type Tensors = Record<string, TestTensor>;

const CH: Record<string, readonly number[]> = { sd1: [32, 32, 64, 64], sd2: [64, 64, 128, 128], sdxl: [32, 64, 128] };
const ATTN = { sd1: [true, true, true, false], sd2: [true, true, true, false], sdxl: [false, true, true] } as const;
const DEPTH = { sd1: [1, 1, 1, 1], sd2: [1, 1, 1, 1], sdxl: [1, 2, 3] } as const;
const TINY_VOCAB = 32;
const TINY_POSITIONS = 8;
export const TINY = { lpb: 2, time: 128, hf: 64, open: 128, bigG: 128, projection: 64, addTime: 16, vae: [16, 32], latent: 4, positions: 8, vocab: 32 };
/** The text encoder's vocabulary and context in the checkpoint being described (see TinyLdmOptions.clipVocab). */
let vocab: { size: number; positions: number; vae: readonly number[] } = { size: TINY_VOCAB, positions: TINY_POSITIONS, vae: TINY.vae };

function resnet(t: Tensors, p: string, cin: number, cout: number, time: number | undefined, ldmVae = false): void {
  const norm1 = ldmVae ? 'norm1' : 'in_layers.0';
  const conv1 = ldmVae ? 'conv1' : 'in_layers.2';
  const norm2 = ldmVae ? 'norm2' : 'out_layers.0';
  const conv2 = ldmVae ? 'conv2' : 'out_layers.3';
  t[`${p}${norm1}.weight`] = { shape: [cin] };
  t[`${p}${norm1}.bias`] = { shape: [cin] };
  t[`${p}${conv1}.weight`] = { shape: [cout, cin, 3, 3] };
  t[`${p}${conv1}.bias`] = { shape: [cout] };
  if (time !== undefined) {
    t[`${p}emb_layers.1.weight`] = { shape: [cout, time] };
    t[`${p}emb_layers.1.bias`] = { shape: [cout] };
  }
  t[`${p}${norm2}.weight`] = { shape: [cout] };
  t[`${p}${norm2}.bias`] = { shape: [cout] };
  t[`${p}${conv2}.weight`] = { shape: [cout, cout, 3, 3] };
  t[`${p}${conv2}.bias`] = { shape: [cout] };
  if (cin !== cout) {
    const skip = ldmVae ? 'nin_shortcut' : 'skip_connection';
    t[`${p}${skip}.weight`] = { shape: [cout, cin, 1, 1] };
    t[`${p}${skip}.bias`] = { shape: [cout] };
  }
}

function transformer(t: Tensors, p: string, c: number, context: number, depth: number, linear: boolean): void {
  t[`${p}norm.weight`] = { shape: [c] };
  t[`${p}norm.bias`] = { shape: [c] };
  for (const proj of ['proj_in', 'proj_out']) {
    t[`${p}${proj}.weight`] = { shape: linear ? [c, c] : [c, c, 1, 1] };
    t[`${p}${proj}.bias`] = { shape: [c] };
  }
  for (let d = 0; d < depth; d++) {
    const b = `${p}transformer_blocks.${d}.`;
    for (const attn of ['attn1', 'attn2']) {
      const kv = attn === 'attn1' ? c : context;
      t[`${b}${attn}.to_q.weight`] = { shape: [c, c] };
      t[`${b}${attn}.to_k.weight`] = { shape: [c, kv] };
      t[`${b}${attn}.to_v.weight`] = { shape: [c, kv] };
      t[`${b}${attn}.to_out.0.weight`] = { shape: [c, c] };
      t[`${b}${attn}.to_out.0.bias`] = { shape: [c] };
    }
    t[`${b}ff.net.0.proj.weight`] = { shape: [8 * c, c] };
    t[`${b}ff.net.0.proj.bias`] = { shape: [8 * c] };
    t[`${b}ff.net.2.weight`] = { shape: [c, 4 * c] };
    t[`${b}ff.net.2.bias`] = { shape: [c] };
    for (const n of ['norm1', 'norm2', 'norm3']) {
      t[`${b}${n}.weight`] = { shape: [c] };
      t[`${b}${n}.bias`] = { shape: [c] };
    }
  }
}

function unet(t: Tensors, family: TinyLdmOptions['family'], inChannels: number, context: number): void {
  const p = 'model.diffusion_model.';
  const ch = CH[family];
  const attn = ATTN[family];
  const depth = DEPTH[family];
  const { lpb, time } = TINY;
  const linear = family !== 'sd1';
  t[`${p}time_embed.0.weight`] = { shape: [time, ch[0]] };
  t[`${p}time_embed.0.bias`] = { shape: [time] };
  t[`${p}time_embed.2.weight`] = { shape: [time, time] };
  t[`${p}time_embed.2.bias`] = { shape: [time] };
  if (family === 'sdxl') {
    t[`${p}label_emb.0.0.weight`] = { shape: [time, TINY.projection + 6 * TINY.addTime] };
    t[`${p}label_emb.0.0.bias`] = { shape: [time] };
    t[`${p}label_emb.0.2.weight`] = { shape: [time, time] };
    t[`${p}label_emb.0.2.bias`] = { shape: [time] };
  }
  t[`${p}input_blocks.0.0.weight`] = { shape: [ch[0], inChannels, 3, 3] };
  t[`${p}input_blocks.0.0.bias`] = { shape: [ch[0]] };
  const skips = [ch[0]];
  let c: number = ch[0];
  ch.forEach((out, level) => {
    for (let j = 0; j < lpb; j++) {
      const n = 1 + level * (lpb + 1) + j;
      resnet(t, `${p}input_blocks.${n}.0.`, c, out, time);
      c = out;
      if (attn[level]) transformer(t, `${p}input_blocks.${n}.1.`, c, context, depth[level], linear);
      skips.push(c);
    }
    if (level < ch.length - 1) {
      const n = 1 + level * (lpb + 1) + lpb;
      t[`${p}input_blocks.${n}.0.op.weight`] = { shape: [c, c, 3, 3] };
      t[`${p}input_blocks.${n}.0.op.bias`] = { shape: [c] };
      skips.push(c);
    }
  });
  resnet(t, `${p}middle_block.0.`, c, c, time);
  transformer(t, `${p}middle_block.1.`, c, context, depth[depth.length - 1], linear);
  resnet(t, `${p}middle_block.2.`, c, c, time);
  const upCh = [...ch].reverse();
  const upAttn = [...attn].reverse();
  const upDepth = [...depth].reverse();
  upCh.forEach((out, level) => {
    for (let j = 0; j <= lpb; j++) {
      const n = level * (lpb + 1) + j;
      const skip = skips.pop() ?? 0;
      resnet(t, `${p}output_blocks.${n}.0.`, c + skip, out, time);
      c = out;
      if (upAttn[level]) transformer(t, `${p}output_blocks.${n}.1.`, c, context, upDepth[level], linear);
      if (j === lpb && level < upCh.length - 1) {
        const k = upAttn[level] ? 2 : 1;
        t[`${p}output_blocks.${n}.${k}.conv.weight`] = { shape: [c, c, 3, 3] };
        t[`${p}output_blocks.${n}.${k}.conv.bias`] = { shape: [c] };
      }
    }
  });
  t[`${p}out.0.weight`] = { shape: [c] };
  t[`${p}out.0.bias`] = { shape: [c] };
  t[`${p}out.2.weight`] = { shape: [4, c, 3, 3] };
  t[`${p}out.2.bias`] = { shape: [4] };
}

function vaeMid(t: Tensors, p: string, c: number): void {
  resnet(t, `${p}mid.block_1.`, c, c, undefined, true);
  t[`${p}mid.attn_1.norm.weight`] = { shape: [c] };
  t[`${p}mid.attn_1.norm.bias`] = { shape: [c] };
  for (const k of ['q', 'k', 'v', 'proj_out']) {
    t[`${p}mid.attn_1.${k}.weight`] = { shape: [c, c, 1, 1] };
    t[`${p}mid.attn_1.${k}.bias`] = { shape: [c] };
  }
  resnet(t, `${p}mid.block_2.`, c, c, undefined, true);
}

function vae(t: Tensors): void {
  const p = 'first_stage_model.';
  const ch = vocab.vae;
  const lat = TINY.latent;
  t[`${p}encoder.conv_in.weight`] = { shape: [ch[0], 3, 3, 3] };
  t[`${p}encoder.conv_in.bias`] = { shape: [ch[0]] };
  let c: number = ch[0];
  ch.forEach((out, i) => {
    for (let j = 0; j < 2; j++) {
      resnet(t, `${p}encoder.down.${i}.block.${j}.`, c, out, undefined, true);
      c = out;
    }
    if (i < ch.length - 1) {
      t[`${p}encoder.down.${i}.downsample.conv.weight`] = { shape: [c, c, 3, 3] };
      t[`${p}encoder.down.${i}.downsample.conv.bias`] = { shape: [c] };
    }
  });
  vaeMid(t, `${p}encoder.`, c);
  t[`${p}encoder.norm_out.weight`] = { shape: [c] };
  t[`${p}encoder.norm_out.bias`] = { shape: [c] };
  t[`${p}encoder.conv_out.weight`] = { shape: [2 * lat, c, 3, 3] };
  t[`${p}encoder.conv_out.bias`] = { shape: [2 * lat] };
  t[`${p}quant_conv.weight`] = { shape: [2 * lat, 2 * lat, 1, 1] };
  t[`${p}quant_conv.bias`] = { shape: [2 * lat] };
  t[`${p}post_quant_conv.weight`] = { shape: [lat, lat, 1, 1] };
  t[`${p}post_quant_conv.bias`] = { shape: [lat] };
  t[`${p}decoder.conv_in.weight`] = { shape: [c, lat, 3, 3] };
  t[`${p}decoder.conv_in.bias`] = { shape: [c] };
  vaeMid(t, `${p}decoder.`, c);
  // LDM numbers decoder levels from the output side: up.0 has the fewest channels.
  for (let i = ch.length - 1; i >= 0; i--) {
    for (let j = 0; j < 3; j++) {
      resnet(t, `${p}decoder.up.${i}.block.${j}.`, c, ch[i], undefined, true);
      c = ch[i];
    }
    if (i > 0) {
      t[`${p}decoder.up.${i}.upsample.conv.weight`] = { shape: [c, c, 3, 3] };
      t[`${p}decoder.up.${i}.upsample.conv.bias`] = { shape: [c] };
    }
  }
  t[`${p}decoder.norm_out.weight`] = { shape: [c] };
  t[`${p}decoder.norm_out.bias`] = { shape: [c] };
  t[`${p}decoder.conv_out.weight`] = { shape: [3, c, 3, 3] };
  t[`${p}decoder.conv_out.bias`] = { shape: [3] };
}

function hfClip(t: Tensors, p: string, h: number, layers: number): void {
  t[`${p}text_model.embeddings.token_embedding.weight`] = { shape: [vocab.size, h] };
  t[`${p}text_model.embeddings.position_embedding.weight`] = { shape: [vocab.positions, h] };
  for (let l = 0; l < layers; l++) {
    const b = `${p}text_model.encoder.layers.${l}.`;
    for (const n of ['layer_norm1', 'layer_norm2']) {
      t[`${b}${n}.weight`] = { shape: [h] };
      t[`${b}${n}.bias`] = { shape: [h] };
    }
    t[`${b}mlp.fc1.weight`] = { shape: [4 * h, h] };
    t[`${b}mlp.fc1.bias`] = { shape: [4 * h] };
    t[`${b}mlp.fc2.weight`] = { shape: [h, 4 * h] };
    t[`${b}mlp.fc2.bias`] = { shape: [h] };
    for (const q of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      t[`${b}self_attn.${q}.weight`] = { shape: [h, h] };
      t[`${b}self_attn.${q}.bias`] = { shape: [h] };
    }
  }
  t[`${p}text_model.final_layer_norm.weight`] = { shape: [h] };
  t[`${p}text_model.final_layer_norm.bias`] = { shape: [h] };
}

function openClip(t: Tensors, p: string, h: number, layers: number): void {
  t[`${p}token_embedding.weight`] = { shape: [vocab.size, h] };
  t[`${p}positional_embedding`] = { shape: [vocab.positions, h] };
  for (let l = 0; l < layers; l++) {
    const b = `${p}transformer.resblocks.${l}.`;
    for (const n of ['ln_1', 'ln_2']) {
      t[`${b}${n}.weight`] = { shape: [h] };
      t[`${b}${n}.bias`] = { shape: [h] };
    }
    t[`${b}attn.in_proj_weight`] = { shape: [3 * h, h] };
    t[`${b}attn.in_proj_bias`] = { shape: [3 * h] };
    t[`${b}attn.out_proj.weight`] = { shape: [h, h] };
    t[`${b}attn.out_proj.bias`] = { shape: [h] };
    t[`${b}mlp.c_fc.weight`] = { shape: [4 * h, h] };
    t[`${b}mlp.c_fc.bias`] = { shape: [4 * h] };
    t[`${b}mlp.c_proj.weight`] = { shape: [h, 4 * h] };
    t[`${b}mlp.c_proj.bias`] = { shape: [h] };
  }
  t[`${p}ln_final.weight`] = { shape: [h] };
  t[`${p}ln_final.bias`] = { shape: [h] };
  t[`${p}text_projection`] = { shape: [h, TINY.projection] };
  t[`${p}logit_scale`] = { shape: [] };
}

/** Tensor descriptions (values seeded when written) of a tiny LDM checkpoint. */
export function tinyLdm(options: TinyLdmOptions): Tensors {
  const t: Tensors = {};
  const omit = new Set(options.omit ?? []);
  vocab = options.clipVocab ? { size: 49408, positions: 77, vae: [32, 32, 32, 32] } : { size: TINY_VOCAB, positions: TINY_POSITIONS, vae: TINY.vae };
  const context = options.family === 'sd1' ? TINY.hf : options.family === 'sd2' ? TINY.open : TINY.hf + TINY.bigG;
  if (!omit.has('unet')) unet(t, options.family, options.inChannels ?? 4, context);
  if (!omit.has('vae')) vae(t);
  if (!omit.has('text')) {
    if (options.family === 'sd1') hfClip(t, 'cond_stage_model.transformer.', TINY.hf, 2);
    if (options.family === 'sd2') openClip(t, 'cond_stage_model.model.', TINY.open, 3);
    if (options.family === 'sdxl') {
      hfClip(t, 'conditioner.embedders.0.transformer.', TINY.hf, 2);
      openClip(t, 'conditioner.embedders.1.model.', TINY.bigG, 3);
    }
  }
  return t;
}
