/**
 * A random WeightSource with exactly the tensor names and shapes diffusers/transformers give the components an
 * SdSpec describes (the same layout as a real checkpoint in diffusers naming). Values are generated on read from
 * the name (deterministic, nothing held), scaled like an initialiser so activations stay finite at full size.
 */
import type { SdSpec, TensorInfo, UnetSpec, VaeSpec, TextEncoderSpec, WeightSource } from '../../src/pipeline/convert/types';

type Shapes = Map<string, readonly number[]>;

function norm(s: Shapes, key: string, c: number): void {
  s.set(`${key}.weight`, [c]);
  s.set(`${key}.bias`, [c]);
}
function linear(s: Shapes, key: string, out: number, inp: number, bias = true): void {
  s.set(`${key}.weight`, [out, inp]);
  if (bias) s.set(`${key}.bias`, [out]);
}
function conv(s: Shapes, key: string, out: number, inp: number, k: number): void {
  s.set(`${key}.weight`, [out, inp, k, k]);
  s.set(`${key}.bias`, [out]);
}
function resnet(s: Shapes, key: string, cin: number, cout: number, temb?: number): void {
  norm(s, `${key}.norm1`, cin);
  conv(s, `${key}.conv1`, cout, cin, 3);
  if (temb) linear(s, `${key}.time_emb_proj`, cout, temb);
  norm(s, `${key}.norm2`, cout);
  conv(s, `${key}.conv2`, cout, cout, 3);
  if (cin !== cout) conv(s, `${key}.conv_shortcut`, cout, cin, 1);
}
function transformer(s: Shapes, key: string, c: number, context: number, layers: number, linearProjection: boolean): void {
  norm(s, `${key}.norm`, c);
  for (const p of ['proj_in', 'proj_out']) (linearProjection ? linear(s, `${key}.${p}`, c, c) : conv(s, `${key}.${p}`, c, c, 1));
  for (let i = 0; i < layers; i += 1) {
    const b = `${key}.transformer_blocks.${i}`;
    for (const n of ['norm1', 'norm2', 'norm3']) norm(s, `${b}.${n}`, c);
    for (const [attn, ctx] of [['attn1', c], ['attn2', context]] as const) {
      linear(s, `${b}.${attn}.to_q`, c, c, false);
      linear(s, `${b}.${attn}.to_k`, c, ctx, false);
      linear(s, `${b}.${attn}.to_v`, c, ctx, false);
      linear(s, `${b}.${attn}.to_out.0`, c, c);
    }
    linear(s, `${b}.ff.net.0.proj`, 8 * c, c);
    linear(s, `${b}.ff.net.2`, c, 4 * c);
  }
}

export function unetShapes(spec: UnetSpec, s: Shapes = new Map(), prefix = 'unet.'): Shapes {
  const ch = spec.blockOutChannels;
  const n = ch.length;
  const T = 4 * ch[0];
  const layers = (i: number): number => spec.transformerLayersPerBlock[i] ?? spec.transformerLayersPerBlock[spec.transformerLayersPerBlock.length - 1];
  conv(s, `${prefix}conv_in`, ch[0], spec.inChannels, 3);
  linear(s, `${prefix}time_embedding.linear_1`, T, ch[0]);
  linear(s, `${prefix}time_embedding.linear_2`, T, T);
  if (spec.addition) {
    linear(s, `${prefix}add_embedding.linear_1`, T, spec.addition.projectionClassEmbeddingsInputDim);
    linear(s, `${prefix}add_embedding.linear_2`, T, T);
  }
  let input = ch[0];
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < spec.layersPerBlock; j += 1) {
      resnet(s, `${prefix}down_blocks.${i}.resnets.${j}`, j === 0 ? input : ch[i], ch[i], T);
      if (spec.downBlockHasAttention[i]) transformer(s, `${prefix}down_blocks.${i}.attentions.${j}`, ch[i], spec.crossAttentionDim, layers(i), spec.useLinearProjection);
    }
    if (i < n - 1) conv(s, `${prefix}down_blocks.${i}.downsamplers.0.conv`, ch[i], ch[i], 3);
    input = ch[i];
  }
  const last = ch[n - 1];
  resnet(s, `${prefix}mid_block.resnets.0`, last, last, T);
  transformer(s, `${prefix}mid_block.attentions.0`, last, spec.crossAttentionDim, layers(n - 1), spec.useLinearProjection);
  resnet(s, `${prefix}mid_block.resnets.1`, last, last, T);
  const rev = [...ch].reverse();
  let prev = rev[0];
  for (let i = 0; i < n; i += 1) {
    const out = rev[i];
    const inCh = rev[Math.min(i + 1, n - 1)];
    for (let j = 0; j <= spec.layersPerBlock; j += 1) {
      const skip = j === spec.layersPerBlock ? inCh : out;
      resnet(s, `${prefix}up_blocks.${i}.resnets.${j}`, (j === 0 ? prev : out) + skip, out, T);
      if (spec.upBlockHasAttention[i]) transformer(s, `${prefix}up_blocks.${i}.attentions.${j}`, out, spec.crossAttentionDim, layers(n - 1 - i), spec.useLinearProjection);
    }
    if (i < n - 1) conv(s, `${prefix}up_blocks.${i}.upsamplers.0.conv`, out, out, 3);
    prev = out;
  }
  norm(s, `${prefix}conv_norm_out`, ch[0]);
  conv(s, `${prefix}conv_out`, spec.outChannels, ch[0], 3);
  return s;
}

function vaeMid(s: Shapes, key: string, c: number): void {
  resnet(s, `${key}.resnets.0`, c, c);
  norm(s, `${key}.attentions.0.group_norm`, c);
  for (const p of ['to_q', 'to_k', 'to_v', 'to_out.0']) linear(s, `${key}.attentions.0.${p}`, c, c);
  resnet(s, `${key}.resnets.1`, c, c);
}

export function vaeShapes(spec: VaeSpec, s: Shapes = new Map(), prefix = 'vae.'): Shapes {
  const ch = spec.blockOutChannels;
  const n = ch.length;
  const L = spec.latentChannels;
  conv(s, `${prefix}encoder.conv_in`, ch[0], 3, 3);
  let input = ch[0];
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < spec.layersPerBlock; j += 1) resnet(s, `${prefix}encoder.down_blocks.${i}.resnets.${j}`, j === 0 ? input : ch[i], ch[i]);
    if (i < n - 1) conv(s, `${prefix}encoder.down_blocks.${i}.downsamplers.0.conv`, ch[i], ch[i], 3);
    input = ch[i];
  }
  vaeMid(s, `${prefix}encoder.mid_block`, ch[n - 1]);
  norm(s, `${prefix}encoder.conv_norm_out`, ch[n - 1]);
  conv(s, `${prefix}encoder.conv_out`, 2 * L, ch[n - 1], 3);
  conv(s, `${prefix}quant_conv`, 2 * L, 2 * L, 1);
  conv(s, `${prefix}post_quant_conv`, L, L, 1);
  const rev = [...ch].reverse();
  conv(s, `${prefix}decoder.conv_in`, rev[0], L, 3);
  vaeMid(s, `${prefix}decoder.mid_block`, rev[0]);
  let prev = rev[0];
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j <= spec.layersPerBlock; j += 1) resnet(s, `${prefix}decoder.up_blocks.${i}.resnets.${j}`, j === 0 ? prev : rev[i], rev[i]);
    if (i < n - 1) conv(s, `${prefix}decoder.up_blocks.${i}.upsamplers.0.conv`, rev[i], rev[i], 3);
    prev = rev[i];
  }
  norm(s, `${prefix}decoder.conv_norm_out`, ch[0]);
  conv(s, `${prefix}decoder.conv_out`, 3, ch[0], 3);
  return s;
}

export function textEncoderShapes(spec: TextEncoderSpec, s: Shapes = new Map(), prefix = 'text_encoder.'): Shapes {
  const D = spec.hiddenSize;
  s.set(`${prefix}text_model.embeddings.token_embedding.weight`, [spec.vocabSize, D]);
  s.set(`${prefix}text_model.embeddings.position_embedding.weight`, [spec.maxPositions, D]);
  for (let i = 0; i < spec.layers; i += 1) {
    const k = `${prefix}text_model.encoder.layers.${i}`;
    norm(s, `${k}.layer_norm1`, D);
    norm(s, `${k}.layer_norm2`, D);
    for (const p of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) linear(s, `${k}.self_attn.${p}`, D, D);
    linear(s, `${k}.mlp.fc1`, spec.intermediateSize, D);
    linear(s, `${k}.mlp.fc2`, D, spec.intermediateSize);
  }
  norm(s, `${prefix}text_model.final_layer_norm`, D);
  if (spec.projectionDim !== undefined) linear(s, `${prefix}text_projection`, spec.projectionDim, D, false);
  return s;
}

export function sdShapes(spec: SdSpec): Shapes {
  const s = unetShapes(spec.unet);
  vaeShapes(spec.vae, s);
  spec.textEncoders.forEach((te, i) => textEncoderShapes(te, s, i === 0 ? 'text_encoder.' : 'text_encoder_2.'));
  return s;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Uniform values in ±√(3/fan_in) (unit-variance outputs); norm weights near 1, biases small. */
export function randomTensor(name: string, shape: readonly number[], seed = 0): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  let s = (hash(name) ^ seed) >>> 0 || 1;
  const out = new Float32Array(size);
  const isNorm = /norm/.test(name) && shape.length === 1;
  const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
  const scale = name.endsWith('.bias') ? 0.1 : isNorm ? 0.1 : name.includes('embedding') ? 1 : Math.sqrt(3 / fanIn);
  for (let i = 0; i < size; i += 1) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * scale + (isNorm && name.endsWith('.weight') ? 1 : 0);
  }
  return out;
}

export function randomWeights(shapes: Shapes, seed = 0): WeightSource & { readonly reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    names: () => [...shapes.keys()],
    info: (name): TensorInfo | undefined => {
      const shape = shapes.get(name);
      return shape ? { name, dtype: 'F32', shape } : undefined;
    },
    read: async (name) => {
      const shape = shapes.get(name);
      if (!shape) throw new Error(`no tensor ${name}`);
      reads.push(name);
      return randomTensor(name, shape, seed);
    },
  };
}
