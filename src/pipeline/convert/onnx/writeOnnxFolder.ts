/**
 * Builds the Stable Diffusion ONNX graphs from a checkpoint's weights: text_encoder/ (+ text_encoder_2/ for
 * SDXL), unet/, vae_decoder/ and vae_encoder/, each `model.onnx` + `model.onnx_data` (weights streamed to disk as
 * they are read, so memory stays near one tensor whatever the checkpoint's size). The tensor interfaces are those
 * of diffusers' export (../shared/reference/onnx-interfaces.md §3), so the pipeline runs the folder unchanged.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Graph } from '../../onnxWriter/graph';
import type { ConvertProgress, SdSpec, WeightSource, WriteFolderOptions, WriteOnnxFolder } from '../types';
import { Builder, ConvertCancelled } from './builder';
import { buildTextEncoder } from './textEncoder';
import { buildUnet } from './unet';
import { buildVaeDecoder, buildVaeEncoder } from './vae';

export const OPSET = 17;
export const EXTERNAL_DATA = 'model.onnx_data';

interface Component {
  readonly stage: ConvertProgress['stage'];
  /** Weight-name prefix in the WeightSource. */
  readonly prefix: string;
  /** Which of the prefix's tensors this graph uses (for the progress total). */
  readonly uses: (key: string) => boolean;
  readonly build: (b: Builder) => Promise<void>;
}

function components(spec: SdSpec): Component[] {
  const all = (): boolean => true;
  const sdxl = spec.family === 'sdxl';
  const list: Component[] = [];
  spec.textEncoders.forEach((te, i) => {
    list.push({
      stage: i === 0 ? 'text_encoder' : 'text_encoder_2',
      prefix: i === 0 ? 'text_encoder.' : 'text_encoder_2.',
      uses: (k) => !k.endsWith('position_ids'),
      build: (b) => buildTextEncoder(b, te, { hiddenStates: sdxl }),
    });
  });
  list.push({ stage: 'unet', prefix: 'unet.', uses: all, build: (b) => buildUnet(b, spec.unet) });
  list.push({ stage: 'vae_decoder', prefix: 'vae.', uses: (k) => k.startsWith('decoder.') || k.startsWith('post_quant_conv.'), build: (b) => buildVaeDecoder(b, spec.vae) });
  list.push({ stage: 'vae_encoder', prefix: 'vae.', uses: (k) => k.startsWith('encoder.') || k.startsWith('quant_conv.'), build: (b) => buildVaeEncoder(b, spec.vae) });
  return list;
}

/** Builds one graph into `dir` (model.onnx + model.onnx_data). */
export async function writeComponent(weights: WeightSource, prefix: string, dir: string, options: WriteFolderOptions & { readonly onWeight?: (done: number) => void }, build: (b: Builder) => Promise<void>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const graph = new Graph({ file: path.join(dir, EXTERNAL_DATA), location: EXTERNAL_DATA });
  try {
    await build(new Builder(graph, weights, prefix, { precision: options.precision, signal: options.signal, onWeight: options.onWeight }));
    if (options.signal?.aborted) throw new ConvertCancelled();
    writeFileSync(path.join(dir, 'model.onnx'), graph.encode(OPSET).model);
  } finally {
    graph.close();
  }
}

export const writeOnnxFolder: WriteOnnxFolder = async (weights, spec, outDir, options) => {
  const names = weights.names();
  for (const c of components(spec)) {
    const total = names.filter((n) => n.startsWith(c.prefix) && c.uses(n.slice(c.prefix.length))).length;
    options.onProgress?.({ stage: c.stage, done: 0, total });
    const onWeight = (done: number): void => options.onProgress?.({ stage: c.stage, done: Math.min(done, total), total });
    await writeComponent(weights, c.prefix, path.join(outDir, c.stage), { ...options, onWeight }, c.build);
    options.onProgress?.({ stage: c.stage, done: total, total });
  }
};
