/**
 * `npm run build` step: converts the ESRGAN weights that @upscalerjs/esrgan-slim and -medium ship
 * (TensorFlow.js layers models, MIT) to ONNX, one folder per model and scale, with their provenance.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UPSCALE_FACTORS, UPSCALER_MODELS } from '../shared/request';
import { upscalerFolder, type UpscalerInfo } from '../pipeline/upscale/upscalers';
import { CATALOGUE_FILE, checkBuiltinPackage, packageRoot } from './builtinPackages';
import { convertLayersModel, type LayersModelJson } from './tfjsLayersToOnnx';

export function buildUpscalers(outDir: string, resolvePackage: (name: string) => string = packageRoot, catalogueFile = CATALOGUE_FILE): string[] {
  const written: string[] = [];
  for (const model of UPSCALER_MODELS) {
    const name = `@upscalerjs/esrgan-${model}`;
    const pkg = checkBuiltinPackage(name, resolvePackage, catalogueFile);
    for (const scale of UPSCALE_FACTORS) {
      const source = path.join(pkg.root, 'models', `x${scale}`);
      const layers = JSON.parse(readFileSync(path.join(source, 'model.json'), 'utf8')) as LayersModelJson;
      const { encoded, receptiveRadius } = convertLayersModel(layers, (shard) => new Uint8Array(readFileSync(path.join(source, shard))));
      const target = upscalerFolder(outDir, model, scale);
      mkdirSync(target, { recursive: true });
      writeFileSync(path.join(target, 'model.onnx'), encoded.model);
      const info: UpscalerInfo = { package: name, version: pkg.version, license: pkg.license, source: pkg.repository ?? 'https://github.com/thekevinscott/UpscalerJS', architecture: 'RDN (ESRGAN family)', scale, receptiveRadius };
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
