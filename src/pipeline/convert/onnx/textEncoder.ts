/**
 * CLIPTextModel / CLIPTextModelWithProjection with the interfaces of the diffusers/optimum exports:
 * input_ids int32 [batch,sequence] → last_hidden_state, pooler_output (or text_embeds with a projection), and,
 * for SDXL's encoders, hidden_states.0..N (the embeddings, then each layer's output).
 */
import type { TextEncoderSpec } from '../types';
import type { Builder } from './builder';

/** transformers fills the causal mask with float32's lowest value. */
const MASKED = -3.4028234663852886e38;

export async function buildTextEncoder(b: Builder, spec: TextEncoderSpec, options: { readonly hiddenStates: boolean }): Promise<void> {
  const g = b.g;
  const D = spec.hiddenSize;
  // 1. Embeddings: token + the first `sequence` positions.
  g.input('input_ids', 'int32', ['batch', 'sequence']);
  const tokens = g.op('Gather', [await b.tensor('text_model.embeddings.token_embedding.weight'), 'input_ids'], { axis: { int: 0 } });
  const sequence = g.op('Shape', ['input_ids'], { start: { int: 1 }, end: { int: 2 } });
  const positions = g.op('Slice', [await b.tensor('text_model.embeddings.position_embedding.weight'), b.ints([0]), sequence, b.ints([0])]);
  let h = g.op('Add', [tokens, positions]);
  const hidden: string[] = [h];

  // 2. The causal mask, cut to [sequence, sequence].
  const P = spec.maxPositions;
  const full = new Float32Array(P * P);
  for (let i = 0; i < P; i += 1) for (let j = i + 1; j < P; j += 1) full[i * P + j] = b.float === 'float16' ? -65504 : MASKED;
  const mask = g.op('Slice', [b.constant(full, [P, P], 'causal_mask'), b.ints([0, 0]), g.op('Concat', [sequence, sequence], { axis: { int: 0 } }), b.ints([0, 1])]);

  // 3. Pre-LN transformer layers.
  const act = spec.activation === 'quick_gelu' ? b.quickGelu.bind(b) : b.gelu.bind(b);
  for (let i = 0; i < spec.layers; i += 1) {
    const key = `text_model.encoder.layers.${i}`;
    const x = await b.layerNorm(h, `${key}.layer_norm1`, 1e-5);
    const q = await b.linear(x, `${key}.self_attn.q_proj`, { scale: 1 / Math.sqrt(D / spec.heads) });
    const k = await b.linear(x, `${key}.self_attn.k_proj`);
    const v = await b.linear(x, `${key}.self_attn.v_proj`);
    h = g.op('Add', [h, await b.linear(b.attention(q, k, v, spec.heads, D, mask), `${key}.self_attn.out_proj`)]);
    const y = await b.layerNorm(h, `${key}.layer_norm2`, 1e-5);
    h = g.op('Add', [h, await b.linear(act(await b.linear(y, `${key}.mlp.fc1`)), `${key}.mlp.fc2`)]);
    hidden.push(h);
  }
  const last = await b.layerNorm(h, 'text_model.final_layer_norm', 1e-5);

  // 4. Pooled: the final state at the end-of-text token, the highest id in CLIP's vocabulary (transformers' argmax).
  const eos = g.op('ArgMax', ['input_ids'], { axis: { int: 1 }, keepdims: { int: 1 } });
  const index = g.op('Expand', [g.op('Unsqueeze', [eos, b.ints([2])]), g.op('Concat', [g.op('Shape', [eos]), b.ints([D])], { axis: { int: 0 } })]);
  const pooled = g.op('Squeeze', [g.op('GatherElements', [last, index], { axis: { int: 1 } }), b.ints([1])]);

  // 5. Outputs.
  if (spec.projectionDim !== undefined) b.floatOutput(await b.linear(pooled, 'text_projection', { bias: false }), 'text_embeds', ['batch', spec.projectionDim]);
  b.floatOutput(last, 'last_hidden_state', ['batch', 'sequence', D]);
  if (spec.projectionDim === undefined) b.floatOutput(pooled, 'pooler_output', ['batch', D]);
  if (options.hiddenStates) hidden.forEach((state, i) => b.floatOutput(state, `hidden_states.${i}`, ['batch', 'sequence', D]));
}
