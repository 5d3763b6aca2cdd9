import { describe, expect, it } from 'vitest';
import { formatParameters, parseParameters, type GenerationParameters } from '../../../src/host/output/parameters';

const base: GenerationParameters = {
  prompt: 'a lighthouse at dusk, dramatic',
  negativePrompt: 'blurry, low quality',
  steps: 20,
  sampler: 'euler-a',
  guidanceScale: 7,
  seed: 42,
  width: 512,
  height: 768,
  model: 'sd-turbo',
  executionProvider: 'cpu',
  version: '0.1.0',
};

describe('A1111 parameters', () => {
  it('formats the A1111 layout', () => {
    expect(formatParameters(base)).toBe(
      'a lighthouse at dusk, dramatic\nNegative prompt: blurry, low quality\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x768, Model: sd-turbo, Execution provider: cpu, Version: Atelier 0.1.0',
    );
  });

  it("writes A1111's quoted Lora hashes field, which parses back; none without LoRAs", () => {
    const text = formatParameters({ ...base, loraHashes: 'style: 0123456789ab, pixel_v2: ba9876543210' });
    expect(text).toContain(', Lora hashes: "style: 0123456789ab, pixel_v2: ba9876543210", ');
    expect(parseParameters(text).fields.get('Lora hashes')).toBe('style: 0123456789ab, pixel_v2: ba9876543210');
    expect(parseParameters(text).fields.get('Version')).toBe('Atelier 0.1.0');
    expect(formatParameters(base)).not.toContain('Lora hashes');
  });

  it('omits an empty negative prompt line', () => {
    expect(formatParameters({ ...base, negativePrompt: '' }).split('\n')).toHaveLength(2);
  });

  it.each(['euler', 'euler-a', 'ddim', 'pndm', 'lcm', 'dpmpp-2m', 'dpmpp-2m-karras'] as const)('round-trips sampler %s', (sampler) => {
    const parsed = parseParameters(formatParameters({ ...base, sampler }));
    expect(parsed.sampler).toBe(sampler);
  });

  it('round-trips prompt, negative, numbers, size and a model name with a comma', () => {
    const parsed = parseParameters(formatParameters({ ...base, prompt: 'line one\nline two', model: 'my model, v2' }));
    expect(parsed).toMatchObject({ prompt: 'line one\nline two', negativePrompt: 'blurry, low quality', steps: 20, guidanceScale: 7, seed: 42, width: 512, height: 768, model: 'my model, v2' });
  });

  it('file labels with control characters are quoted (escaped), so the text has no NUL and every field parses back', () => {
    const text = formatParameters({ ...base, initImage: 'odd\u0000name\u0001.png', mask: 'tab\tmask.png' });
    expect(text).not.toContain('\u0000');
    const parsed = parseParameters(text);
    expect(parsed).toMatchObject({ seed: 42, steps: 20, model: 'sd-turbo' });
    expect(parsed.fields.get('Init image')).toBe('odd\u0000name\u0001.png');
    expect(parsed.fields.get('Mask')).toBe('tab\tmask.png');
  });

  it('parses A1111 text written by A1111 itself (old "DPM++ 2M Karras" sampler name)', () => {
    const parsed = parseParameters('cat\nSteps: 30, Sampler: DPM++ 2M Karras, CFG scale: 5.5, Seed: 1, Size: 640x640, Model hash: abc, Model: v1-5');
    expect(parsed).toMatchObject({ prompt: 'cat', negativePrompt: '', sampler: 'dpmpp-2m-karras', steps: 30, guidanceScale: 5.5, width: 640 });
  });

  it('text without a parameters line is all prompt', () => {
    expect(parseParameters('just a caption')).toMatchObject({ prompt: 'just a caption', steps: undefined });
  });
});
