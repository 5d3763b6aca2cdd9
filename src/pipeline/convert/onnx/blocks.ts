/** The blocks shared by the UNet and the VAE, in diffusers' structure and weight names. */
import type { Builder } from './builder';

/** ResnetBlock2D: GN → SiLU → conv → (+ time) → GN → SiLU → conv, plus the (1×1 conv) shortcut. */
export async function resnet(b: Builder, x: string, key: string, eps: number, temb?: string): Promise<string> {
  let h = await b.conv(b.silu(await b.groupNorm(x, `${key}.norm1`, 32, eps)), `${key}.conv1`);
  if (temb) {
    const t = await b.linear(temb, `${key}.time_emb_proj`);
    h = b.g.op('Add', [h, b.g.op('Unsqueeze', [t, b.ints([2, 3])])]);
  }
  h = await b.conv(b.silu(await b.groupNorm(h, `${key}.norm2`, 32, eps)), `${key}.conv2`);
  const shortcut = b.has(`${key}.conv_shortcut.weight`) ? await b.conv(x, `${key}.conv_shortcut`) : x;
  return b.g.op('Add', [shortcut, h]);
}

/** diffusers Attention with q, k, v projections (bias when the checkpoint has one) and to_out.0. */
export async function attentionLayer(b: Builder, x: string, key: string, heads: number, channels: number, context?: string): Promise<string> {
  const scale = 1 / Math.sqrt(channels / heads);
  const q = await b.linear(x, `${key}.to_q`, { scale });
  const k = await b.linear(context ?? x, `${key}.to_k`);
  const v = await b.linear(context ?? x, `${key}.to_v`);
  return b.linear(b.attention(q, k, v, heads, channels), `${key}.to_out.0`);
}

/** Transformer2DModel: GN → proj_in → BasicTransformerBlocks (self, cross, GEGLU) → proj_out, + residual. */
export async function transformer2d(
  b: Builder,
  x: string,
  key: string,
  options: { readonly heads: number; readonly layers: number; readonly linearProjection: boolean; readonly context: string },
): Promise<string> {
  const channels = b.shape(`${key}.norm.weight`)[0];
  const normed = await b.groupNorm(x, `${key}.norm`, 32, 1e-6);
  let h = options.linearProjection ? await b.linear(b.toTokens(normed, channels), `${key}.proj_in`) : b.toTokens(await b.conv(normed, `${key}.proj_in`), channels);
  for (let i = 0; i < options.layers; i += 1) {
    const block = `${key}.transformer_blocks.${i}`;
    h = b.g.op('Add', [await attentionLayer(b, await b.layerNorm(h, `${block}.norm1`, 1e-5), `${block}.attn1`, options.heads, channels), h]);
    h = b.g.op('Add', [await attentionLayer(b, await b.layerNorm(h, `${block}.norm2`, 1e-5), `${block}.attn2`, options.heads, channels, options.context), h]);
    h = b.g.op('Add', [await geglu(b, await b.layerNorm(h, `${block}.norm3`, 1e-5), `${block}.ff`), h]);
  }
  const out = options.linearProjection ? b.fromTokens(await b.linear(h, `${key}.proj_out`), x) : await b.conv(b.fromTokens(h, x), `${key}.proj_out`);
  return b.g.op('Add', [out, x]);
}

/** FeedForward with GEGLU: the projection's two halves as two MatMuls (no Split copy), hidden · gelu(gate). */
async function geglu(b: Builder, x: string, key: string): Promise<string> {
  const inner = b.shape(`${key}.net.0.proj.weight`)[0] / 2;
  const hidden = await b.linear(x, `${key}.net.0.proj`, { rows: [0, inner] });
  const gate = await b.linear(x, `${key}.net.0.proj`, { rows: [inner, 2 * inner] });
  return b.linear(b.g.op('Mul', [hidden, b.gelu(gate)]), `${key}.net.2`);
}

/**
 * Sinusoidal embedding of a float32 [N] tensor, cos first (diffusers' flip_sin_to_cos, shift 0): [N, dim] in the
 * compute dtype. Always computed in float32: t·freq reaches 999, where float16 steps by 0.5.
 */
export function sinusoidal(b: Builder, t: string, dim: number): string {
  const half = dim / 2;
  const freqs = Float32Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const args = b.g.op('Mul', [b.g.op('Unsqueeze', [t, b.ints([1])]), b.g.weight(freqs, [1, half], 'freqs')]);
  const emb = b.g.op('Concat', [b.g.op('Cos', [args]), b.g.op('Sin', [args])], { axis: { int: 1 } });
  return b.float === 'float32' ? emb : b.g.op('Cast', [emb], { to: { int: 10 } });
}
