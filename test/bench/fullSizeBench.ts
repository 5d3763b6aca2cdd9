/**
 * `npm run bench -- --only=fullsize`: a full-size SD 1.5-architecture model built by Atelier's own converter from
 * random weights (the real tensor names and shapes, so the same graphs a user's checkpoint gives), cached outside
 * the repo (ATELIER_BENCH_CACHE, default ~/.cache/atelier-bench), then measured through the worker like `realsize`.
 * The first run prints the conversion's time and the bench process's peak RSS while converting.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeOnnxFolder } from '../../src/pipeline/convert/onnx/writeOnnxFolder';
import { SD_HUB_SCHEDULER } from '../fixtures/onnx/modelFolder';
import { randomWeights, sdShapes } from '../helpers/randomSdWeights';
import { SD15_SPEC } from '../helpers/sdSpecs';
import { benchRealSize } from './realSizeBench';

export async function buildFullSizeModel(cache = process.env.ATELIER_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'atelier-bench')): Promise<string> {
  const target = path.join(cache, 'sd15-random-fp32');
  if (existsSync(path.join(target, 'model_index.json'))) return target;
  const partial = `${target}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const started = performance.now();
  console.log(`\nBuilding a full-size SD 1.5-architecture model with random weights into ${target} (once)…`);
  await writeOnnxFolder(randomWeights(sdShapes(SD15_SPEC)), SD15_SPEC, partial, { precision: 'fp32' });
  const tokenizer = path.join(partial, 'tokenizer');
  mkdirSync(tokenizer);
  for (const f of ['vocab.json', 'merges.txt']) copyFileSync(path.resolve('assets/clip-tokenizer', f), path.join(tokenizer, f));
  mkdirSync(path.join(partial, 'scheduler'));
  writeFileSync(path.join(partial, 'scheduler', 'scheduler_config.json'), JSON.stringify({ ...SD_HUB_SCHEDULER, _class_name: 'EulerDiscreteScheduler' }, null, 2));
  writeFileSync(path.join(partial, 'vae_decoder', 'config.json'), JSON.stringify({ scaling_factor: SD15_SPEC.vae.scalingFactor }, null, 2));
  writeFileSync(
    path.join(partial, 'model_index.json'),
    JSON.stringify({ _class_name: 'OnnxStableDiffusionPipeline', scheduler: ['diffusers', 'EulerDiscreteScheduler'], text_encoder: ['diffusers', 'OnnxRuntimeModel'], tokenizer: ['transformers', 'CLIPTokenizer'], unet: ['diffusers', 'OnnxRuntimeModel'], vae_decoder: ['diffusers', 'OnnxRuntimeModel'], vae_encoder: ['diffusers', 'OnnxRuntimeModel'] }, null, 2),
  );
  renameSync(partial, target);
  console.log(`  converted in ${((performance.now() - started) / 1000).toFixed(1)} s; bench process peak RSS so far ${(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)} GiB`);
  return target;
}

export async function benchFullSize(): Promise<void> {
  await benchRealSize(await buildFullSizeModel());
}
