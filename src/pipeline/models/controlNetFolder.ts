/**
 * ControlNet folders of the separate layout (c): a `model.onnx` (plus external data) per ControlNet,
 * e.g. TensorStack's `SD/Depth/model.onnx`. The type comes from config.json's name or the folder name.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../../shared/errors';
import { controlTypeFromName } from '../../shared/controlNames';
import type { ControlType } from '../../shared/request';
import { checkExternalData, pickleRefusal, sniffUnsafeFormat } from './fileSafety';
import { FILE_KINDS, readBoundedSync } from '../../shared/files/boundedRead';

export interface ControlNetFolder {
  readonly dir: string;
  readonly file: string;
  /** Undefined when neither the config nor the folder name says. */
  readonly type: ControlType | undefined;
}

function configName(dir: string): string | undefined {
  const file = path.join(dir, 'config.json');
  if (!existsSync(file)) return undefined;
  try {
    const config = JSON.parse(readBoundedSync(file, FILE_KINDS.modelConfig).toString('utf8')) as Record<string, unknown>;
    return typeof config._name_or_path === 'string' ? config._name_or_path : undefined;
  } catch {
    return undefined;
  }
}

/** Checks one ControlNet folder (safety, external data) and reads its type. */
export function inspectControlNetFolder(dirInput: string): ControlNetFolder {
  const dir = path.resolve(dirInput);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new PipelineError('MODEL_MISSING_FILE', `ControlNet folder ${dir} does not exist`, { argument: 'controlNetDir' });
  const file = [path.join(dir, 'model.onnx'), path.join(dir, 'controlnet', 'model.onnx')].find((f) => existsSync(f));
  if (!file) {
    const pickle = readdirSync(dir).map((f) => path.join(dir, f)).find((f) => statSync(f).isFile() && sniffUnsafeFormat(f));
    if (pickle) throw pickleRefusal(pickle);
    throw new PipelineError('MODEL_MISSING_FILE', `ControlNet folder ${dir} has no model.onnx; choose the folder of an ONNX ControlNet export (e.g. SD/Depth)`, { argument: 'controlNetDir' });
  }
  if (sniffUnsafeFormat(file, FILE_KINDS.onnxGraph)) throw pickleRefusal(file);
  checkExternalData(file, dir);
  const type = controlTypeFromName(configName(dir) ?? '') ?? controlTypeFromName(path.basename(dir)) ?? controlTypeFromName(path.basename(path.dirname(dir)));
  return { dir, file, type };
}

/** ControlNet folders in these roots: each root is a ControlNet folder or holds them one level down. */
export function findControlNets(roots: readonly string[]): ControlNetFolder[] {
  const found: ControlNetFolder[] = [];
  for (const root of roots) {
    const dir = path.resolve(root);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    const candidates = existsSync(path.join(dir, 'model.onnx')) ? [dir] : readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name)).sort();
    for (const candidate of candidates) {
      if (!existsSync(path.join(candidate, 'model.onnx'))) continue;
      try {
        found.push(inspectControlNetFolder(candidate));
      } catch {
        // An unsafe or broken folder is skipped here; naming it directly reports why.
      }
    }
  }
  return found;
}
