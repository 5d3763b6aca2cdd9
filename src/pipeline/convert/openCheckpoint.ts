/**
 * Opens what the user chose — a single-file `.safetensors` checkpoint (LDM keys) or a diffusers folder with
 * safetensors weights — as one WeightSource in diffusers naming plus its SdSpec.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../../shared/errors';
import { openDiffusersFolder, isDiffusersFolder } from './diffusersFolder';
import { mapLdmCheckpoint } from './ldmKeys';
import { mappedSource, type SourcedMapping } from './mappedSource';
import { choosePrediction, recognizeLdm } from './recognize';
import { openSafetensors, type SafetensorsFile } from './safetensors';
import type { Prediction, SdSpec, WeightSource } from './types';

export interface OpenedCheckpoint {
  readonly layout: 'single-file' | 'diffusers-folder';
  readonly spec: SdSpec;
  readonly weights: WeightSource;
  readonly inpainting: boolean;
  /** Why the prediction type is what it is (shown in the log and the conversion summary). */
  readonly predictionWhy: string;
  /** Source tensors left out on purpose, and tensors nothing recognised (count + examples). */
  readonly notes: readonly string[];
  /** The weight files, for hashing. */
  readonly files: readonly string[];
  close(): Promise<void>;
}

export interface OpenCheckpointOptions {
  /** Overrides the prediction type the files imply (SD 2.x v-models cannot be told apart reliably). */
  readonly prediction?: Prediction;
  /** Which variant of a diffusers folder's weights to prefer. */
  readonly prefer?: 'fp32' | 'fp16';
}

export function examples(keys: readonly string[], count = 5): string {
  return `${keys.slice(0, count).join(', ')}${keys.length > count ? `, … (${keys.length - count} more)` : ''}`;
}

async function openSingleFile(file: string, options: OpenCheckpointOptions): Promise<OpenedCheckpoint> {
  // openSafetensors refuses pickles (raw or zipped, whatever the name) from their first bytes.
  const st = await openSafetensors(file);
  try {
    const names = [...st.entries.keys()];
    const shapeOf = (n: string): readonly number[] | undefined => st.entries.get(n)?.shape;
    const rec = recognizeLdm(file, names, shapeOf);
    const mapping = mapLdmCheckpoint(names, shapeOf, rec.family);
    if (mapping.unknown.length > 0) {
      throw new PipelineError(
        'MODEL_INVALID',
        `${file} looks like an ${rec.family.toUpperCase()} checkpoint but ${mapping.unknown.length} of its tensors match no part of that architecture (${examples(mapping.unknown)}); it may be a merge of different architectures or a newer format`,
        { argument: file },
      );
    }
    const { prediction, why } = await choosePrediction(rec, names, st.metadata, (n) => st.read(n), options.prediction);
    const notes: string[] = [];
    if (mapping.skipped.length > 0) notes.push(`left out ${mapping.skipped.length} tensors not used for inference (${examples(mapping.skipped.map((s) => `${s.source}: ${s.why}`), 3)})`);
    const sourced: SourcedMapping[] = mapping.mapped.map((m) => ({ ...m, file: st }));
    return {
      layout: 'single-file',
      spec: { ...rec.spec, prediction },
      weights: mappedSource(sourced),
      inpainting: rec.inpainting,
      predictionWhy: why,
      notes,
      files: [file],
      close: () => st.close(),
    };
  } catch (error) {
    await st.close();
    throw error;
  }
}

async function openFolder(dir: string, options: OpenCheckpointOptions): Promise<OpenedCheckpoint> {
  const opened = await openDiffusersFolder(dir, options.prefer);
  const closeAll = async (): Promise<void> => {
    await Promise.all(opened.files.map((f: SafetensorsFile) => f.close()));
  };
  try {
    const prediction = options.prediction ?? opened.spec.prediction;
    const why = options.prediction ? 'chosen explicitly' : (opened.prediction?.why ?? 'the folder has no scheduler config; epsilon assumed');
    return {
      layout: 'diffusers-folder',
      spec: { ...opened.spec, prediction },
      weights: mappedSource(opened.mappings),
      inpainting: opened.spec.unet.inChannels === 9,
      predictionWhy: why,
      notes: [],
      files: opened.files.map((f) => f.file),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Opens a `.safetensors` checkpoint or a diffusers folder with safetensors weights. Close it when done. */
export async function openCheckpoint(input: string, options: OpenCheckpointOptions = {}): Promise<OpenedCheckpoint> {
  const target = path.resolve(input);
  const stats = statSync(target, { throwIfNoEntry: false });
  if (!stats) throw new PipelineError('MODEL_MISSING_FILE', `checkpoint ${target} does not exist`, { argument: target });
  if (stats.isDirectory()) {
    if (!isDiffusersFolder(target)) {
      throw new PipelineError('MODEL_MISSING_FILE', `${target} is a folder without model_index.json; choose a .safetensors checkpoint file or a diffusers model folder`, { argument: target });
    }
    return openFolder(target, options);
  }
  return openSingleFile(target, options);
}
