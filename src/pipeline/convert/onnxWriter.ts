/**
 * The graph writer the worker converts with: Atelier's own ONNX graph builders (`./onnx/writeOnnxFolder`). Tests
 * of the plumbing can point ATELIER_TEST_GRAPHS_FROM at a folder of ready-made graphs instead.
 */
import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../../shared/errors';
import type { WriteOnnxFolder } from './types';
import { writeOnnxFolder } from './onnx/writeOnnxFolder';

const GRAPHS = ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder', 'vae_encoder'];

/** Test hook: copies the graphs of a fixture model folder after reading every weight (as a real writer does). */
const fixtureWriter =
  (from: string): WriteOnnxFolder =>
  async (weights, _spec, outDir, options) => {
    const names = weights.names();
    for (const [i, name] of names.entries()) {
      if (options.signal?.aborted) throw new PipelineError('CANCELLED', 'the conversion was cancelled');
      await weights.read(name);
      options.onProgress?.({ stage: 'unet', done: i + 1, total: names.length });
    }
    for (const g of GRAPHS) if (existsSync(path.join(from, g))) cpSync(path.join(from, g), path.join(outDir, g), { recursive: true });
  };


export function onnxWriter(): WriteOnnxFolder {
  const fixture = process.env.ATELIER_TEST_GRAPHS_FROM;
  return fixture ? fixtureWriter(fixture) : writeOnnxFolder;
}
