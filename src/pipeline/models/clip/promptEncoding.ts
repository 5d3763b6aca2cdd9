/**
 * Prompts longer than one CLIP window, and weighted ones, encoded as A1111 does: each chunk of 75
 * tokens is encoded on its own (BOS + tokens + EOS, padded to 77), its embeddings multiplied by the
 * per-token weights and rescaled to the chunk's original mean, and the chunks concatenated along the
 * sequence axis. The same functions serve every CLIP encoder (SDXL runs both on the same chunks).
 */
import type { ClipTokenizer } from './tokenizer';
import type { PromptChunk } from '../../../shared/prompt/chunks';

export interface ChunkEncoder {
  encode(ids: readonly number[]): Promise<{ hidden: Float32Array; seqLength: number; width: number }>;
}

export interface EncodedPrompt {
  /** [chunks·seq, width] embeddings. */
  readonly hidden: Float32Array;
  readonly seqLength: number;
  readonly width: number;
  readonly chunks: number;
}

/**
 * A1111's "original" emphasis: z·w per token, then scaled so the mean over the whole chunk is unchanged.
 * Returns `hidden` itself when every weight is 1 (so an unweighted prompt stays bit-identical).
 */
export function applyEmphasis(hidden: Float32Array, weights: readonly number[], width: number): Float32Array {
  if (weights.every((w) => w === 1)) return hidden;
  if (weights.length * width !== hidden.length) throw new Error(`emphasis: ${weights.length} weights for ${hidden.length / width} tokens`);
  let before = 0;
  for (let i = 0; i < hidden.length; i++) before += hidden[i];
  const out = new Float32Array(hidden.length);
  let after = 0;
  for (let t = 0; t < weights.length; t++) {
    for (let d = 0; d < width; d++) {
      const v = Math.fround(hidden[t * width + d] * weights[t]);
      out[t * width + d] = v;
      after += v;
    }
  }
  const ratio = before / after;
  for (let i = 0; i < out.length; i++) out[i] *= ratio;
  return out;
}

/** Encodes each chunk with its weights and concatenates them. */
export async function encodeChunks(tokenizer: ClipTokenizer, encoder: ChunkEncoder, chunks: readonly PromptChunk[]): Promise<EncodedPrompt> {
  const parts: Float32Array[] = [];
  let seqLength = 0;
  let width = 0;
  for (const chunk of chunks) {
    const { ids, weights } = tokenizer.chunkIds(chunk);
    const encoded = await encoder.encode(ids);
    width = encoded.width;
    seqLength += encoded.seqLength;
    parts.push(applyEmphasis(encoded.hidden, weights, encoded.width));
  }
  return { hidden: concatSequence(parts), seqLength, width, chunks: chunks.length };
}

/** Appends copies of `empty` (one encoded empty chunk) until `prompt` has `chunks` chunks. */
export function padChunks(prompt: EncodedPrompt, empty: Float32Array, chunks: number): EncodedPrompt {
  if (prompt.chunks >= chunks) return prompt;
  const extra = chunks - prompt.chunks;
  const perChunk = prompt.seqLength / prompt.chunks;
  return {
    hidden: concatSequence([prompt.hidden, ...Array.from({ length: extra }, () => empty)]),
    seqLength: prompt.seqLength + extra * perChunk,
    width: prompt.width,
    chunks,
  };
}

function concatSequence(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
