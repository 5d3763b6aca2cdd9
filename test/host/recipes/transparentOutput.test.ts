/**
 * A recipe's `outputs.transparent`: the build cuts the people out of its image with the worker's real
 * person segmentation (MediaPipe selfie model) and writes `<name>-transparent.png`; kept pixels are the
 * image's own, the background is clear; an image without a person fails that recipe, naming the field.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../../src/host/backend/backend';
import { findRecipes } from '../../../src/host/recipes/loadRecipes';
import { runBuild, type BuildOptions } from '../../../src/host/recipes/runBuild';
import type { GenerationResult } from '../../../src/shared/request';
import { emptyScene, figureImage, STANDING } from '../../helpers/figure';
import { testSupervisor } from '../../helpers/worker';

const { supervisor } = testSupervisor();
const made: string[] = [];
afterAll(async () => {
  await supervisor.dispose();
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A backend whose every image is `png` (a drawn figure, or an empty room). */
function paints(png: Uint8Array): Backend {
  return {
    capabilities: () => ({ backend: 'local', kinds: ['txt2img'], controlNets: false, loras: false, upscale: false, previews: false }),
    listModels: async () => [],
    upscale: async () => {
      throw new Error('not here');
    },
    generate: async (job) => ({ png, width: 512, height: 512, seed: job.request.sampling.seed, sampler: 'euler', steps: 2, executionProvider: 'cpu', modelFamily: 'test', warnings: [], timings: { totalMs: 1 }, workerRssBytes: 0, workerPeakRssBytes: 0, restartRecommended: false, controlNets: [] }) as unknown as GenerationResult,
  };
}

async function build(png: Uint8Array, format: 'png' | 'webp', patch: Partial<BuildOptions> = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'atelier-cutout-'));
  const model = mkdtempSync(path.join(os.tmpdir(), 'atelier-model-'));
  made.push(root, model);
  writeFileSync(path.join(model, 'model_index.json'), '{}');
  writeFileSync(path.join(root, 'hero.atelier.json'), JSON.stringify({ version: 1, model: { path: 'unused' }, prompt: 'a person', seed: 1, steps: 2, width: 512, height: 512, outputs: { transparent: format } }));
  const options: BuildOptions = {
    root,
    recipes: await findRecipes([root]),
    resolveModel: async () => ({ dir: model, name: 'm' }),
    backend: () => paints(png),
    segmentPerson: async (image) => (await supervisor.segmentPerson({ width: image.width, height: image.height, rgba: image.data, executionProvider: 'cpu' })).mask,
    mode: 'build',
    force: false,
    executionProvider: 'cpu',
    controlNetRoots: [],
    writeMetadata: false,
    ...patch,
  };
  return { root, options, report: await runBuild(options) };
}

async function rgba(file: string): Promise<{ data: Buffer; width: number }> {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width };
}

describe('recipe outputs: transparent background', () => {
  it('cuts the person out: background clear, kept pixels the image\'s own; the next build does nothing', async () => {
    const { root, options, report } = await build(await figureImage([STANDING]), 'png');
    expect(report.items[0].problems).toEqual([]);
    expect(report.items[0].written).toEqual(['hero.png', 'hero-transparent.png']);
    const image = await rgba(path.join(root, 'hero.png'));
    const cut = await rgba(path.join(root, 'hero-transparent.png'));
    let clear = 0;
    let kept = 0;
    for (let i = 0; i < cut.data.length; i += 4) {
      if (cut.data[i + 3] === 0) clear++;
      else {
        kept++;
        expect([cut.data[i], cut.data[i + 1], cut.data[i + 2]]).toEqual([image.data[i], image.data[i + 1], image.data[i + 2]]);
      }
    }
    const pixels = cut.data.length / 4;
    expect(kept / pixels).toBeGreaterThan(0.05);
    expect(clear / pixels).toBeGreaterThan(0.3);
    expect(cut.data[3]).toBe(0); // the top-left corner is background
    const again = await runBuild(options);
    expect(again.items[0].outcome).toBe('up-to-date');
  });

  it('writes lossless WebP when asked', async () => {
    const { root, report } = await build(await figureImage([STANDING]), 'webp');
    expect(report.items[0].written).toEqual(['hero.png', 'hero-transparent.webp']);
    const meta = await sharp(readFileSync(path.join(root, 'hero-transparent.webp'))).metadata();
    expect(meta).toMatchObject({ format: 'webp', hasAlpha: true, width: 512 });
  });

  it('an image without a person fails that recipe, naming the field and the fix; nothing is cut out', async () => {
    const { report } = await build(await emptyScene(), 'png');
    expect(report.ok).toBe(false);
    expect(report.items[0].outcome).toBe('failed');
    expect(report.items[0].problems[0]).toContain('hero.atelier.json: $.outputs.transparent: no person found in hero.png');
  });

  it('without a segmenter (a server backend) the recipe fails saying where segmentation runs', async () => {
    const { report } = await build(await figureImage([STANDING]), 'png', { segmentPerson: undefined });
    expect(report.items[0].problems[0]).toContain('$.outputs.transparent needs the built-in person segmentation');
  });
});
