/** Control characters in prompts: one rule for every entry point, checked at the worker boundary. */
import { describe, expect, it } from 'vitest';
import { checkRequest } from '../../src/shared/checkRequest';
import { controlCharacterProblem, findControlCharacter } from '../../src/shared/promptText';
import type { Txt2ImgRequest } from '../../src/shared/request';

const request: Txt2ImgRequest = {
  kind: 'txt2img',
  modelDir: '/m',
  prompt: 'a cat',
  negativePrompt: '',
  width: 64,
  height: 64,
  sampling: { sampler: 'euler', steps: 2, guidanceScale: 1, seed: 1 },
  previewEvery: 0,
  executionProvider: 'cpu',
};

describe('control characters in prompts', () => {
  it.each([
    ['a\u0000b', 'U+0000', 2],
    ['bell\u0007', 'U+0007', 5],
    ['cr\rlf', 'U+000D', 3],
    ['del\u007f', 'U+007F', 4],
    ['c1 \u0085 next line', 'U+0085', 4],
  ])('finds %j', (text, codePoint, position) => {
    expect(findControlCharacter(text)).toEqual({ codePoint, position });
  });

  it.each(['tabs\tand\nline breaks', 'emoji 🐱 and 日本語', 'right-to-left \u202e override', '', 'é à ü'])('allows %j', (text) => {
    expect(findControlCharacter(text)).toBeUndefined();
  });

  it('the worker refuses them in the prompt and the negative prompt, naming the field, character and position', () => {
    expect(() => checkRequest({ ...request, prompt: 'a cat\u0000 in a hat' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', argument: 'prompt', message: 'prompt contains the control character U+0000 at character 6; remove it (only tabs and line breaks are allowed in prompts)' }),
    );
    expect(() => checkRequest({ ...request, negativePrompt: 'blurry\u001b[0m' })).toThrow(expect.objectContaining({ argument: 'negativePrompt', message: expect.stringContaining('U+001B at character 7') }));
    expect(() => checkRequest({ ...request, prompt: 'line one\nline two\twith a tab' })).not.toThrow();
    expect(controlCharacterProblem('prompt', 'clean')).toBeUndefined();
  });
});
