/**
 * `npm run build` step: converts the ESRGAN weights that @upscalerjs/esrgan-slim and -medium ship
 * (TensorFlow.js layers models, MIT) to ONNX, one folder per model and scale, with their provenance.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { licenceProblem } from '../../shared/licences';
import { UPSCALE_FACTORS, UPSCALER_MODELS } from '../../shared/request';
import { upscalerFolder, type UpscalerInfo } from '../upscale/upscalers';
import { convertLayersModel, type LayersModelJson } from './tfjsLayersToOnnx';

/** A package's folder (these packages' `exports` hide package.json from require.resolve). */
export function packageRoot(name: string): string {
  const found = (require.resolve.paths(name) ?? []).map((dir) => path.join(dir, name)).find((dir) => existsSync(path.join(dir, 'package.json')));
  if (!found) throw new Error(`${name} is not installed; run npm ci`);
  return found;
}

export function buildUpscalers(outDir: string, resolvePackage: (name: string) => string = packageRoot, catalogueFile = path.resolve(__dirname, '..', '..', 'assets', 'catalogue.json')): string[] {
  const builtin = (JSON.parse(readFileSync(catalogueFile, 'utf8')) as { builtin?: { package: string; version: string; licence: string; flagged?: string }[] }).builtin ?? [];
  const written: string[] = [];
  for (const model of UPSCALER_MODELS) {
    const name = `@upscalerjs/esrgan-${model}`;
    const root = resolvePackage(name);
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; license: string; repository?: { url?: string } };
    const listed = builtin.find((b) => b.package === name);
    if (!listed) throw new Error(`${name} is not listed under "builtin" in assets/catalogue.json; record its licence and source there and in THIRD_PARTY_NOTICES.md first`);
    if (listed.licence !== pkg.license || listed.version !== pkg.version) throw new Error(`assets/catalogue.json lists ${name}@${listed.version} (${listed.licence}) but ${pkg.version} (${pkg.license}) is installed; update the catalogue and THIRD_PARTY_NOTICES.md`);
    const problem = licenceProblem(pkg.license, listed.flagged);
    if (problem) throw new Error(`${name}: ${problem}`);
    for (const scale of UPSCALE_FACTORS) {
      const source = path.join(root, 'models', `x${scale}`);
      const layers = JSON.parse(readFileSync(path.join(source, 'model.json'), 'utf8')) as LayersModelJson;
      const { encoded, receptiveRadius } = convertLayersModel(layers, (shard) => new Uint8Array(readFileSync(path.join(source, shard))));
      const target = upscalerFolder(outDir, model, scale);
      mkdirSync(target, { recursive: true });
      writeFileSync(path.join(target, 'model.onnx'), encoded.model);
      const info: UpscalerInfo = { package: name, version: pkg.version, license: pkg.license, source: pkg.repository?.url ?? 'https://github.com/thekevinscott/UpscalerJS', architecture: 'RDN (ESRGAN family)', scale, receptiveRadius };
      writeFileSync(path.join(target, 'upscaler.json'), `${JSON.stringify(info, null, 2)}\n`);
      written.push(target);
    }
  }
  return written;
}

if (require.main === module) {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: build-upscalers <target folder>');
    process.exit(2);
  }
  buildUpscalers(target);
}
