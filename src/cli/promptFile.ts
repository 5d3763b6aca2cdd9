/**
 * Reads a prompt file: a regular file within the prompt cap, strict UTF-8 (invalid bytes are an error
 * naming the offset, never mojibake); Windows line ends become \n.
 */
import { FILE_KINDS, FileReadError, readBounded } from '../shared/files/boundedRead';
import { controlCharacterProblem } from '../shared/promptText';
import { UsageError } from './args';

/** Offset of the first byte that is not part of a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > bytes.length) return i;
    for (let k = 1; k < len; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    const second = bytes[i + 1];
    if ((b === 0xe0 && second < 0xa0) || (b === 0xed && second > 0x9f) || (b === 0xf0 && second < 0x90) || (b === 0xf4 && second > 0x8f)) return i;
    i += len;
  }
  return -1;
}

export async function readPromptFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readBounded(file, FILE_KINDS.promptFile);
  } catch (error) {
    if (error instanceof FileReadError) throw new UsageError(error.message);
    throw error;
  }
  const invalid = firstInvalidUtf8(bytes);
  if (invalid >= 0) {
    throw new UsageError(`prompt file ${file} is not valid UTF-8: byte 0x${bytes[invalid].toString(16).padStart(2, '0')} at offset ${invalid}; save the file as UTF-8`);
  }
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '').replace(/\r\n/g, '\n').trim();
  const control = controlCharacterProblem(`prompt file ${file}`, text);
  if (control) throw new UsageError(control);
  return text;
}
