/**
 * A1111's chunking of a weighted prompt (its `tokenize_line`): tokens go into chunks of `chunkLength`
 * (75 for CLIP: 77 minus BOS and EOS), each token carrying the weight of its piece; BREAK closes the
 * chunk early; when a chunk fills up and a comma sits within the last `commaBacktrack` tokens, the text
 * after that comma moves to the next chunk (A1111's "comma padding backtrack", default 20).
 */
import type { PromptPiece } from './attention';

export interface PromptChunk {
  /** Prompt token ids, at most chunkLength, without BOS/EOS/padding. */
  readonly ids: readonly number[];
  /** One weight per id. */
  readonly weights: readonly number[];
}

export interface ChunkedPrompt {
  /** At least one chunk (an empty prompt is one empty chunk). */
  readonly chunks: readonly PromptChunk[];
  /** A1111's count: chunkLength for every chunk but the last, plus the last one's tokens ("82" in "82/150"). */
  readonly tokenCount: number;
}

export interface ChunkOptions {
  readonly chunkLength: number;
  /** The id of "," as a whole word (`,</w>`); no backtracking without it. */
  readonly commaId?: number;
  readonly commaBacktrack?: number;
}

export const A1111_COMMA_BACKTRACK = 20;

/** `tokenize` returns a piece's ids without BOS/EOS. */
export function chunkPrompt(pieces: readonly PromptPiece[], tokenize: (text: string) => readonly number[], options: ChunkOptions): ChunkedPrompt {
  const { chunkLength, commaId } = options;
  const backtrack = options.commaBacktrack ?? A1111_COMMA_BACKTRACK;
  const chunks: PromptChunk[] = [];
  let ids: number[] = [];
  let weights: number[] = [];
  let tokenCount = 0;
  let lastComma = -1;
  const close = (isLast: boolean): void => {
    tokenCount += isLast ? ids.length : chunkLength;
    chunks.push({ ids, weights });
    ids = [];
    weights = [];
    lastComma = -1;
  };
  for (const piece of pieces) {
    if (piece.kind === 'break') {
      close(false);
      continue;
    }
    for (const token of tokenize(piece.text)) {
      if (token === commaId) {
        lastComma = ids.length;
      } else if (backtrack > 0 && ids.length === chunkLength && lastComma !== -1 && ids.length - lastComma <= backtrack) {
        const cut = lastComma + 1;
        const movedIds = ids.slice(cut);
        const movedWeights = weights.slice(cut);
        ids = ids.slice(0, cut);
        weights = weights.slice(0, cut);
        close(false);
        ids = movedIds;
        weights = movedWeights;
      }
      if (ids.length === chunkLength) close(false);
      ids.push(token);
      weights.push(piece.weight);
    }
  }
  if (ids.length > 0 || chunks.length === 0) close(true);
  return { chunks, tokenCount };
}

/** The counter's capacity: chunkLength per chunk ("/150" for two chunks). */
export function chunkCapacity(prompt: ChunkedPrompt, chunkLength: number): number {
  return prompt.chunks.length * chunkLength;
}
