/**
 * CLIP BPE tokenizer built from a diffusers `tokenizer/` folder (vocab.json + merges.txt). The
 * tokenizer.json that @huggingface/tokenizers expects is assembled in memory with CLIP's normalizer
 * (NFC, whitespace collapse, lower-case), its split regex and byte-level BPE with the `</w>` suffix.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { PipelineError } from '../../../shared/errors';

export const CLIP_BOS = 49406;
export const CLIP_EOS = 49407;
const MAX_VOCAB_BYTES = 50 * 1024 * 1024;
const CLIP_SPLIT = "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

export interface EncodedPrompt {
  /** Exactly `maxLength` ids: BOS, up to maxLength−2 prompt ids, EOS, padding. */
  readonly ids: readonly number[];
  /** Prompt tokens that did not fit and were dropped. */
  readonly droppedTokens: number;
}

export class ClipTokenizer {
  constructor(
    private readonly tokenizer: Tokenizer,
    readonly padId: number,
    readonly maxLength: number,
  ) {}

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

async function readText(file: string, maxBytes: number): Promise<string> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch {
    throw new PipelineError('MODEL_MISSING_FILE', `tokenizer file is missing: ${file}`, { argument: file });
  }
  if (data.length > maxBytes) throw new PipelineError('MODEL_INVALID', `${file} is ${data.length} bytes, more than the ${maxBytes} allowed`);
  return data.toString('utf8');
}

async function readJsonObject(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
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
  const vocabText = await readText(path.join(dir, 'vocab.json'), MAX_VOCAB_BYTES);
  const mergesText = await readText(path.join(dir, 'merges.txt'), MAX_VOCAB_BYTES);
  let vocab: Record<string, number>;
  try {
    vocab = JSON.parse(vocabText) as Record<string, number>;
  } catch (error) {
    throw new PipelineError('MODEL_INVALID', `${path.join(dir, 'vocab.json')} is not valid JSON: ${(error as Error).message}`);
  }
  if (vocab['<|startoftext|>'] !== CLIP_BOS || vocab['<|endoftext|>'] !== CLIP_EOS) {
    throw new PipelineError('MODEL_INVALID', `${path.join(dir, 'vocab.json')} is not a CLIP vocabulary (expected <|startoftext|>=${CLIP_BOS}, <|endoftext|>=${CLIP_EOS})`);
  }
  const merges = mergesText.split('\n').filter((line) => line.length > 0 && !line.startsWith('#version'));
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
  return new ClipTokenizer(new Tokenizer(tokenizerJson, {}), padId, maxLength);
}
