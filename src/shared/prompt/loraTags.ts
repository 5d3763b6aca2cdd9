/**
 * A1111's `<lora:name:weight>` prompt tags (its extra-networks syntax, `<(\w+):([^>]+)>`): each lora tag is taken
 * out of the prompt text; the weight defaults to 1. A malformed tag (no name, a weight that is not a number, or
 * A1111's separate text-encoder/UNet weights, which a merged model cannot honour) stays in the text with a warning.
 * Tags of other kinds (`<hypernet:…>`) are left alone.
 */

export interface PromptLora {
  readonly name: string;
  readonly weight: number;
}

export interface PromptLoraTags {
  /** The prompt without its lora tags. */
  readonly prompt: string;
  readonly loras: readonly PromptLora[];
  readonly warnings: readonly string[];
}

const TAG = /<lora:([^>]*)>/g;
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)$/;

export function extractLoraTags(prompt: string): PromptLoraTags {
  const loras: PromptLora[] = [];
  const warnings: string[] = [];
  const rest = prompt.replace(TAG, (tag: string, body: string) => {
    const parts = body.split(':').map((p) => p.trim());
    const [name, weight] = parts;
    if (name === '' || parts.length > 2 || (weight !== undefined && !NUMBER.test(weight))) {
      warnings.push(`${tag} is not <lora:name> or <lora:name:weight> (weight a number); it stays in the prompt as text`);
      return tag;
    }
    loras.push({ name, weight: weight === undefined ? 1 : Number(weight) });
    return '';
  });
  return { prompt: rest, loras, warnings };
}
