import { describe, expect, it } from 'vitest';
import { extractLoraTags } from '../../../src/shared/prompt/loraTags';

describe('<lora:name:weight> prompt tags', () => {
  it('takes a tag out of the prompt; the weight defaults to 1', () => {
    expect(extractLoraTags('a lighthouse <lora:watercolor>, dusk')).toEqual({ prompt: 'a lighthouse , dusk', loras: [{ name: 'watercolor', weight: 1 }], warnings: [] });
  });

  it('several tags, with weights (negative, fractional), in order', () => {
    const r = extractLoraTags('<lora:style_v2:0.6>a cat<lora:pixel-art:-.5> on a mat <lora:detail: 1.25 >');
    expect(r.loras).toEqual([{ name: 'style_v2', weight: 0.6 }, { name: 'pixel-art', weight: -0.5 }, { name: 'detail', weight: 1.25 }]);
    expect(r.prompt).toBe('a cat on a mat ');
    expect(r.warnings).toEqual([]);
  });

  it('leaves malformed tags as text with a warning, and other extra networks alone', () => {
    const r = extractLoraTags('x <lora:> <lora:a:heavy> <lora:b:0.5:0.3> <hypernet:h:1> <lora:ok:2>');
    expect(r.loras).toEqual([{ name: 'ok', weight: 2 }]);
    expect(r.prompt).toBe('x <lora:> <lora:a:heavy> <lora:b:0.5:0.3> <hypernet:h:1> ');
    expect(r.warnings).toHaveLength(3);
    expect(r.warnings[1]).toMatch(/<lora:a:heavy> is not <lora:name> or <lora:name:weight>/);
  });

  it('a prompt without tags is unchanged', () => {
    expect(extractLoraTags('a (red:1.2) barn, <not a tag>')).toEqual({ prompt: 'a (red:1.2) barn, <not a tag>', loras: [], warnings: [] });
  });
});
