/**
 * AutoencoderKL's halves with the interfaces of diffusers' ONNX export: vae_decoder latent_sample → sample,
 * vae_encoder sample → latent_sample. The encoder returns the distribution's mean (the export samples
 * mean + std·noise inside the graph with an unseeded RandomNormalLike): the same tensor, but reproducible.
 */
import type { VaeSpec } from '../types';
import { resnet } from './blocks';
import type { Builder } from './builder';

const EPS = 1e-6;

/** The mid block's single-head self-attention: GN → q, k, v → softmax(q·kᵀ/√C)·v → to_out.0, + residual. */
async function vaeAttention(b: Builder, x: string, key: string): Promise<string> {
  const channels = b.shape(`${key}.group_norm.weight`)[0];
  const tokens = b.toTokens(await b.groupNorm(x, `${key}.group_norm`, 32, EPS), channels);
  const q = await b.linear(tokens, `${key}.to_q`, { scale: 1 / Math.sqrt(channels) });
  const k = await b.linear(tokens, `${key}.to_k`);
  const v = await b.linear(tokens, `${key}.to_v`);
  const out = await b.linear(b.attention(q, k, v, 1, channels), `${key}.to_out.0`);
  return b.g.op('Add', [b.fromTokens(out, x), x]);
}

async function midBlock(b: Builder, x: string, key: string): Promise<string> {
  const h = await resnet(b, x, `${key}.resnets.0`, EPS);
  return resnet(b, await vaeAttention(b, h, `${key}.attentions.0`), `${key}.resnets.1`, EPS);
}

export async function buildVaeDecoder(b: Builder, spec: VaeSpec): Promise<void> {
  const latent = b.floatInput('latent_sample', ['batch', spec.latentChannels, 'height', 'width']);
  let h = await b.conv(await b.conv(latent, 'post_quant_conv'), 'decoder.conv_in');
  h = await midBlock(b, h, 'decoder.mid_block');
  const levels = spec.blockOutChannels.length;
  for (let i = 0; i < levels; i += 1) {
    for (let j = 0; j <= spec.layersPerBlock; j += 1) h = await resnet(b, h, `decoder.up_blocks.${i}.resnets.${j}`, EPS);
    if (i < levels - 1) h = await b.conv(b.upsampleNearest2x(h), `decoder.up_blocks.${i}.upsamplers.0.conv`);
  }
  const out = await b.conv(b.silu(await b.groupNorm(h, 'decoder.conv_norm_out', 32, EPS)), 'decoder.conv_out');
  b.floatOutput(out, 'sample', ['batch', 3, 'height', 'width']);
}

export async function buildVaeEncoder(b: Builder, spec: VaeSpec): Promise<void> {
  const image = b.floatInput('sample', ['batch', 3, 'height', 'width']);
  let h = await b.conv(image, 'encoder.conv_in');
  const levels = spec.blockOutChannels.length;
  for (let i = 0; i < levels; i += 1) {
    for (let j = 0; j < spec.layersPerBlock; j += 1) h = await resnet(b, h, `encoder.down_blocks.${i}.resnets.${j}`, EPS);
    // diffusers pads right and bottom by one, then convolves with stride 2 and no padding.
    if (i < levels - 1) h = await b.conv(h, `encoder.down_blocks.${i}.downsamplers.0.conv`, { stride: 2, pads: [0, 0, 1, 1] });
  }
  h = await midBlock(b, h, 'encoder.mid_block');
  const moments = await b.conv(b.silu(await b.groupNorm(h, 'encoder.conv_norm_out', 32, EPS)), 'encoder.conv_out');
  // quant_conv's first latentChannels outputs are the mean; the log-variance rows are never computed.
  const mean = await b.conv(moments, 'quant_conv', { outRows: spec.latentChannels });
  b.floatOutput(mean, 'latent_sample', ['batch', spec.latentChannels, 'height', 'width']);
}
