import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRecipe, RecipeError, RECIPE_SCHEMA } from '../../../src/host/recipes/parseRecipe';
import { canonicalRecipe, DERIVED_FORMATS, formatRecipe, RECIPE_SCHEMA_URL, type Recipe } from '../../../src/host/recipes/recipe';
import { CONTROL_TYPES, SAMPLER_NAMES, UPSCALE_FACTORS, UPSCALER_MODELS } from '../../../src/shared/request';
import type { SchemaNode } from '../../../src/host/recipes/schemaCheck';

const full: Recipe = {
  version: 1,
  backend: 'local',
  model: { id: 'stabilityai/sd-turbo', sha256: 'a'.repeat(64) },
  prompt: 'a lighthouse at dusk',
  negative: 'blurry',
  sampler: 'euler-a',
  steps: 4,
  guidance: 1,
  seed: 42,
  width: 512,
  height: 384,
  image: 'hero.webp',
  init: { image: { path: 'photos/a.jpg', sha256: 'b'.repeat(64) }, strength: 0.7, mask: { path: 'photos/a.mask.png' }, maskBlur: 4, onlyMaskedPadding: 32 },
  controls: [{ type: 'depth', image: { path: 'depth.png' }, scale: 0.8, start: 0, end: 0.6 }],
  loras: [{ name: 'pixel-art', weight: 0.8 }],
  post: [{ upscale: 2, model: 'slim' }],
  outputs: { sizes: ['@1x', '@2x'], formats: ['png', { format: 'jpeg', quality: 80 }], icons: true },
};

function problems(text: string): string[] {
  try {
    parseRecipe(text, 'assets/hero.atelier.json');
  } catch (error) {
    if (error instanceof RecipeError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected the recipe to be refused');
}

const minimal = { version: 1, model: { builtin: 'demo' }, prompt: 'a fox', seed: 1 };
const bad = (patch: Record<string, unknown>): string[] => problems(JSON.stringify({ ...minimal, ...patch }));

describe('recipe format', () => {
  it('a full recipe survives writing and reading; $schema names the shipped schema', () => {
    const text = formatRecipe(full);
    expect(parseRecipe(text, 'x.atelier.json')).toEqual({ $schema: RECIPE_SCHEMA_URL, ...full });
    expect(JSON.parse(text).$schema).toBe(RECIPE_SCHEMA_URL);
    expect((RECIPE_SCHEMA as { $id?: string }).$id).toBe(RECIPE_SCHEMA_URL);
  });

  it('writes a stable key order whatever order the keys came in, one value per line', () => {
    const shuffled = Object.fromEntries(Object.entries(full).reverse()) as unknown as Recipe;
    expect(formatRecipe(shuffled)).toBe(formatRecipe(full));
    const lines = formatRecipe(full).split('\n');
    expect(lines[1]).toContain('"$schema"');
    expect(lines[2]).toContain('"version"');
    // No line holds two values.
    for (const line of lines) expect(line.match(/": /g)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(formatRecipe(full).endsWith('}\n')).toBe(true);
  });

  it('the canonical form ignores key order and spacing but not values', () => {
    const shuffled = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(full).reverse()))) as Recipe;
    expect(canonicalRecipe(shuffled)).toBe(canonicalRecipe(full));
    expect(canonicalRecipe({ ...full, prompt: 'a lighthouse at dawn' })).not.toBe(canonicalRecipe(full));
    // Derived outputs are hashed apart: changing them does not regenerate.
    expect(canonicalRecipe({ ...full, outputs: { icons: false } })).toBe(canonicalRecipe(full));
  });

  it('a hand-written recipe with only the required keys is valid', () => {
    expect(parseRecipe(JSON.stringify(minimal), 'icons.atelier.json').prompt).toBe('a fox');
  });

  it('the schema lists exactly the values the code accepts', () => {
    const props = (RECIPE_SCHEMA.properties ?? {}) as Record<string, SchemaNode>;
    expect(props.sampler.enum).toEqual([...SAMPLER_NAMES]);
    const controlItem = props.controls.items as SchemaNode;
    expect(controlItem.properties?.type.enum).toEqual(CONTROL_TYPES.filter((t) => t !== 'other'));
    const post = props.post.items as SchemaNode;
    expect(post.properties?.upscale.enum).toEqual([...UPSCALE_FACTORS]);
    expect(post.properties?.model.enum).toEqual([...UPSCALER_MODELS]);
    expect((props.outputs.properties?.formats.items as SchemaNode).anyOf?.[0].enum).toEqual([...DERIVED_FORMATS]);
  });

  it('VS Code validates *.atelier.json with the shipped schema', () => {
    const root = path.join(__dirname, '..', '..', '..');
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { jsonValidation: { fileMatch: string; url: string }[] } };
    const entry = pkg.contributes.jsonValidation.find((v) => v.fileMatch === '*.atelier.json');
    expect(entry?.url).toBe('./assets/schema/recipe.schema.json');
    expect(JSON.parse(readFileSync(path.join(root, entry?.url ?? ''), 'utf8')).$id).toBe(RECIPE_SCHEMA_URL);
  });
});

describe('bad recipes name the file, the JSON path and the fix', () => {
  it('an unknown key, with the nearest known one', () => {
    expect(bad({ promt: 'x' })).toEqual(['assets/hero.atelier.json: $.promt is not a recipe key; fix: did you mean "prompt"? (allowed here: $schema, version, backend, model, prompt, negative, sampler, steps, guidance, seed, width, height, image, init, controls, loras, post, outputs)']);
    expect(bad({ widht: 64 })[0]).toContain('$.widht is not a recipe key; fix: did you mean "width"?');
    expect(bad({ zzz: 1 })[0]).toContain('$.zzz is not a recipe key; fix: remove it');
    expect(bad({ controls: [{ type: 'depth', image: { path: 'd.png' }, scal: 1 }] })[0]).toMatch(/^assets\/hero\.atelier\.json: \$\.controls\[0\]\.scal is not a recipe key; fix: did you mean "scale"\?/);
  });

  it('wrong types, missing keys, out of range and not a multiple of 8', () => {
    expect(bad({ steps: '20' })).toEqual(['assets/hero.atelier.json: $.steps must be a whole number, got the text "20"; fix: set it to a whole number: Denoising steps.']);
    expect(bad({ seed: 1.5 })[0]).toContain('$.seed must be a whole number, got number 1.5');
    expect(bad({ seed: -1 })[0]).toContain('$.seed is -1, out of range; fix: use a value from 0 to 4294967295');
    expect(bad({ width: 500 })[0]).toContain('$.width is 500, not a multiple of 8; fix: use 496 or 504');
    expect(bad({ sampler: 'heun' })[0]).toContain('$.sampler is the text "heun", which is not allowed; fix: use one of "model-default"');
    expect(problems(JSON.stringify({ version: 1, model: { builtin: 'demo' }, seed: 1 }))).toEqual(['assets/hero.atelier.json: $.prompt is missing; fix: add "prompt": What to make.']);
    expect(bad({ init: { image: 'a.png' } })[0]).toContain('$.init.image must be an object');
    expect(bad({ outputs: { sizes: ['2x'] } })[0]).toContain('$.outputs.sizes[0]');
  });

  it('every problem is reported, not only the first', () => {
    expect(bad({ promt: 'x', steps: 0, width: 9 })).toHaveLength(3);
  });

  it('invalid JSON names the line and column', () => {
    const lines = problems('{\n  "version": 1,\n  "prompt": "x",\n}\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^assets\/hero\.atelier\.json: \$ is not valid JSON at line 4, column 1 .*; fix: correct the JSON syntax/);
  });

  it('the model: exactly one reference, agreeing with the backend', () => {
    expect(bad({ model: {} })[0]).toContain('$.model names no model; fix: give exactly one of');
    expect(bad({ model: { builtin: 'demo', id: 'a/b' } })[0]).toContain('$.model names 2 models (builtin, id)');
    expect(bad({ backend: 'comfyui' })[0]).toContain('$.model.builtin names a local model, but backend is comfyui');
    expect(bad({ model: { checkpoint: 'sd15.safetensors' } })[0]).toContain('$.model.checkpoint names a ComfyUI checkpoint, but backend is local');
    expect(() => parseRecipe(JSON.stringify({ ...minimal, backend: 'comfyui', model: { checkpoint: 'sd15.safetensors' } }), 'x')).not.toThrow();
  });

  it('mask with outpaint, padding without a mask, a control that ends before it starts', () => {
    expect(bad({ init: { image: { path: 'a.png' }, mask: { path: 'm.png' }, outpaint: { left: 8, right: 0, top: 0, bottom: 0 } } })[0]).toContain('$.init has both a mask and outpaint');
    expect(bad({ init: { image: { path: 'a.png' }, onlyMaskedPadding: 8 } })[0]).toContain('$.init.onlyMaskedPadding needs a mask');
    expect(bad({ widht: 64 })[0]).toContain('$.widht is not a recipe key; fix: did you mean "width"?');
    expect(bad({ zzz: 1 })[0]).toContain('$.zzz is not a recipe key; fix: remove it');
    expect(bad({ controls: [{ type: 'depth', image: { path: 'd.png' }, start: 0.8, end: 0.2 }] })[0]).toContain('$.controls[0] starts (0.8) after it ends (0.2)');
  });
});
