import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildJob, type JobSettings } from '../../../src/host/jobs/buildJob';
import { parseRecipe } from '../../../src/host/recipes/parseRecipe';
import { NoRecipeError, recipeFromJob, recipeModelFor, writeRecipeBeside } from '../../../src/host/recipes/recipeFromJob';
import { sha256File } from '../../../src/host/recipes/hashing';

const settings: JobSettings = { negativePrompt: 'blurry', sampler: 'euler-a', steps: 4, guidanceScale: 1, seed: 42, width: 64, height: 64, executionProvider: 'auto', workingResolution: 'model', controlNetRoots: [] };

function modelFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-model-'));
  writeFileSync(path.join(dir, 'model_index.json'), '{}');
  return dir;
}

function workspace(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'atelier-rfj-'));
  mkdirSync(path.join(root, 'photos'));
  writeFileSync(path.join(root, 'photos', 'a.png'), 'image bytes');
  return root;
}

describe('recipe from a job', () => {
  it('txt2img: the job as data, valid against the schema, written beside the image without replacing a recipe', async () => {
    const root = workspace();
    const modelDir = modelFolder();
    const job = buildJob({ modelDir, prompt: 'a fox', settings, source: { kind: 'txt2img' }, output: { dir: root } });
    const image = path.join(root, 'fox.png');
    const recipe = await recipeFromJob(job, image, { root, backend: 'local', model: { path: modelDir } });
    expect(recipe).toEqual({ version: 1, backend: 'local', model: { path: modelDir, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }, prompt: 'a fox', negative: 'blurry', sampler: 'euler-a', steps: 4, guidance: 1, seed: 42, width: 64, height: 64, image: 'fox.png' });
    const file = await writeRecipeBeside(image, recipe);
    expect(file).toBe(path.join(root, 'fox.atelier.json'));
    expect(parseRecipe(readFileSync(file, 'utf8'), file)).toMatchObject(recipe);
    expect(await writeRecipeBeside(image, recipe)).toBe(path.join(root, 'fox-1.atelier.json'));
  });

  it('img2img names the init image workspace-relative with its hash; an input outside the workspace or from the canvas gets no recipe', async () => {
    const root = workspace();
    const init = path.join(root, 'photos', 'a.png');
    const modelDir = modelFolder();
    const job = buildJob({ modelDir: modelDir, prompt: 'p', settings, source: { kind: 'img2img', initImage: new Uint8Array([1]), strength: 0.5 }, output: { dir: root }, files: { init } });
    const recipe = await recipeFromJob(job, path.join(root, 'out.png'), { root, backend: 'local', model: { builtin: 'demo' } });
    expect(recipe.init).toEqual({ image: { path: 'photos/a.png', sha256: await sha256File(init) }, strength: 0.5 });
    expect(recipe.width).toBeUndefined();
    const canvas = buildJob({ modelDir: modelDir, prompt: 'p', settings, source: { kind: 'img2img', initImage: new Uint8Array([1]), strength: 0.5 }, output: { dir: root } });
    await expect(recipeFromJob(canvas, path.join(root, 'o.png'), { root, backend: 'local', model: { builtin: 'demo' } })).rejects.toThrow(NoRecipeError);
    const elsewhere = buildJob({ modelDir: modelDir, prompt: 'p', settings, source: { kind: 'img2img', initImage: new Uint8Array([1]), strength: 0.5 }, output: { dir: root }, files: { init: '/etc/hosts' } });
    await expect(recipeFromJob(elsewhere, path.join(root, 'o.png'), { root, backend: 'local', model: { builtin: 'demo' } })).rejects.toThrow('is outside the workspace');
  });

  it('names the model as the demo, a cache id, a workspace folder, or an absolute folder', () => {
    const where = { root: '/w', demoDir: '/ext/dist/demo-model', cacheRoot: '/home/u/.cache/huggingface/hub', backend: 'local' as const };
    expect(recipeModelFor('/ext/dist/demo-model', where)).toEqual({ builtin: 'demo' });
    expect(recipeModelFor('/home/u/.cache/huggingface/hub/models--stabilityai--sd-turbo/snapshots/abc', where)).toEqual({ id: 'stabilityai/sd-turbo' });
    expect(recipeModelFor('/w/models/mine', where)).toEqual({ path: 'models/mine' });
    expect(recipeModelFor('/opt/models/sd15', where)).toEqual({ path: '/opt/models/sd15' });
    expect(recipeModelFor('sd15.safetensors', { ...where, backend: 'comfyui' })).toEqual({ checkpoint: 'sd15.safetensors' });
  });
});
