/**
 * CLIP BPE tokenizer built from a diffusers `tokenizer/` folder (vocab.json + merges.txt). The
 * tokenizer.json that @huggingface/tokenizers expects is assembled in memory with CLIP's normalizer
 * (NFC, whitespace collapse, lower-case), its split regex and byte-level BPE with the `</w>` suffix.
 */
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { PipelineError } from '../../../shared/errors';
import { FILE_KINDS, FileReadError, readBounded } from '../../../shared/files/boundedRead';
import { parsePromptAttention } from '../../../shared/prompt/attention';
import { chunkCapacity, chunkPrompt, type ChunkedPrompt, type PromptChunk } from '../../../shared/prompt/chunks';
import type { TokenizeResult } from '../../../shared/request';

export const CLIP_BOS = 49406;
export const CLIP_EOS = 49407;
const CLIP_SPLIT = "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

export interface EncodedPrompt {
  /** Exactly `maxLength` ids: BOS, up to maxLength−2 prompt ids, EOS, padding. */
  readonly ids: readonly number[];
  /** Prompt tokens that did not fit and were dropped. */
  readonly droppedTokens: number;
}

/** One chunk as the text encoder takes it: `maxLength` ids and one weight per id (1 for BOS/EOS/padding). */
export interface ChunkIds {
  readonly ids: readonly number[];
  readonly weights: readonly number[];
}

export class ClipTokenizer {
  constructor(
    private readonly tokenizer: Tokenizer,
    readonly padId: number,
    readonly maxLength: number,
    /** Id of `,</w>` (A1111's comma backtracking), when the vocabulary has it. */
    readonly commaId?: number,
  ) {}

  /** Prompt tokens per chunk: 75 for CLIP's 77. */
  get chunkLength(): number {
    return this.maxLength - 2;
  }

  /** A1111 weighting syntax parsed and the tokens split into chunks (see shared/prompt). */
  chunk(text: string): ChunkedPrompt {
    return chunkPrompt(parsePromptAttention(text), (piece) => (piece === '' ? [] : this.encode(piece).slice(1, -1)), {
      chunkLength: this.chunkLength,
      commaId: this.commaId,
    });
  }

  /** BOS, the chunk's ids, EOS, then padding to `maxLength`, as diffusers pads a single prompt. */
  chunkIds(chunk: PromptChunk): ChunkIds {
    const ids = [CLIP_BOS, ...chunk.ids, CLIP_EOS];
    const weights = [1, ...chunk.weights, 1];
    while (ids.length < this.maxLength) {
      ids.push(this.padId);
      weights.push(1);
    }
    return { ids, weights };
  }

  /** Ids with BOS and EOS, neither padded nor truncated. */
  encode(text: string): number[] {
    return this.tokenizer.encode(text).ids;
  }

  /** Ids padded to `maxLength` the way diffusers does (padding="max_length", truncation=True). */
  encodePadded(text: string): EncodedPrompt {
    const inner = this.encode(text).slice(1, -1);
    const room = this.maxLength - 2;
    const kept = inner.slice(0, room);
    const ids = [CLIP_BOS, ...kept, CLIP_EOS];
    while (ids.length < this.maxLength) ids.push(this.padId);
    return { ids, droppedTokens: inner.length - kept.length };
  }
}

/** The `tokenize` answer (token counter, `atelier tokenize`): the chunks flattened between one BOS and EOS. */
export function tokenizeResult(prompt: ChunkedPrompt, chunkLength: number): TokenizeResult {
  const ids: number[] = [CLIP_BOS];
  const weights: number[] = [1];
  const chunks = prompt.chunks.map((chunk) => {
    const start = ids.length;
    ids.push(...chunk.ids);
    weights.push(...chunk.weights);
    return { start, length: chunk.ids.length };
  });
  ids.push(CLIP_EOS);
  weights.push(1);
  return { ids, weights, chunks, count: prompt.tokenCount, max: chunkCapacity(prompt, chunkLength) };
}

async function readText(file: string): Promise<string> {
  return (await readBounded(file, FILE_KINDS.tokenizer)).toString('utf8');
}

/** An optional JSON file: undefined when absent or not JSON; a FIFO, device or oversized file is refused. */
async function readJsonObject(file: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = (await readBounded(file, FILE_KINDS.modelConfig)).toString('utf8');
  } catch (error) {
    if (error instanceof FileReadError && error.reason === 'missing') return undefined;
    throw error;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * BPE merges, one "left right" pair a line after an optional "#version" header. An empty or malformed
 * file is refused: the tokenizer would otherwise run and produce ids that mean nothing to the model.
 * Every merged pair must itself be in the vocabulary (true of every CLIP merges.txt).
 */
function parseMerges(text: string, file: string, vocab: Record<string, number>): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const merges: string[] = [];
  lines.forEach((line, i) => {
    if (line.length === 0 || (i === 0 && line.startsWith('#version'))) return;
    const pair = line.split(' ');
    if (pair.length !== 2 || pair[0] === '' || pair[1] === '') {
      throw new PipelineError('MODEL_INVALID', `${file} line ${i + 1} is not a merge (two tokens separated by one space): ${JSON.stringify(line.slice(0, 60))}`, { argument: file });
    }
    if (vocab[pair[0] + pair[1]] === undefined) {
      throw new PipelineError('MODEL_INVALID', `${file} line ${i + 1} merges ${JSON.stringify(line)} into a token that is not in vocab.json; the two files do not belong together`, { argument: file });
    }
    merges.push(line);
  });
  if (merges.length === 0) throw new PipelineError('MODEL_INVALID', `${file} holds no merges; a CLIP tokenizer needs its merges.txt (about 48,900 lines)`, { argument: file });
  return merges;
}

function tokenName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/** Loads `dir/vocab.json` + `dir/merges.txt`; the pad token comes from special_tokens_map.json first
 * (SD 2.x says "!" there while tokenizer_config.json still names <|endoftext|>; "!" is what applies). */
export async function loadClipTokenizer(dir: string): Promise<ClipTokenizer> {
  const vocabText = await readText(path.join(dir, 'vocab.json'));
  const mergesText = await readText(path.join(dir, 'merges.txt'));
  let vocab: Record<string, number>;
  try {
    vocab = JSON.parse(vocabText) as Record<string, number>;
  } catch (error) {
    throw new PipelineError('MODEL_INVALID', `${path.join(dir, 'vocab.json')} is not valid JSON: ${(error as Error).message}`);
  }
  if (vocab['<|startoftext|>'] !== CLIP_BOS || vocab['<|endoftext|>'] !== CLIP_EOS) {
    throw new PipelineError('MODEL_INVALID', `${path.join(dir, 'vocab.json')} is not a CLIP vocabulary (expected <|startoftext|>=${CLIP_BOS}, <|endoftext|>=${CLIP_EOS})`);
  }
  const merges = parseMerges(mergesText, path.join(dir, 'merges.txt'), vocab);
  const special = await readJsonObject(path.join(dir, 'special_tokens_map.json'));
  const config = await readJsonObject(path.join(dir, 'tokenizer_config.json'));
  const padName = tokenName(special?.pad_token) ?? tokenName(config?.pad_token) ?? '<|endoftext|>';
  const padId = vocab[padName];
  if (padId === undefined) throw new PipelineError('MODEL_INVALID', `pad token ${JSON.stringify(padName)} is not in ${path.join(dir, 'vocab.json')}`);
  const maxLength = typeof config?.model_max_length === 'number' && config.model_max_length <= 1024 ? config.model_max_length : 77;

  const specialToken = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true });
  const tokenizerJson = {
    added_tokens: [specialToken(CLIP_BOS, '<|startoftext|>'), specialToken(CLIP_EOS, '<|endoftext|>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: ['<|endoftext|>', CLIP_EOS], cls: ['<|startoftext|>', CLIP_BOS], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: '<|endoftext|>', continuing_subword_prefix: '', end_of_word_suffix: '</w>', fuse_unk: false, byte_fallback: false, vocab, merges },
  };
  return new ClipTokenizer(new Tokenizer(tokenizerJson, {}), padId, maxLength, vocab[',</w>']);
}
