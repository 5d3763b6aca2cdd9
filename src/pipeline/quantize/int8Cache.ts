/**
 * The int8 UNet kept next to the optimised graphs: made once from the fp32 graph, found again by the same
 * key (the source folder's files), and replaced when the source changes.
 */
import { graphCacheOptions, planGraphCache, type GraphCacheOptions } from '../backends/graphCache';
import type { Logger } from '../backends/onnx';
import { PipelineError } from '../../shared/errors';
import { quantizeMatMulsInt8 } from './int8MatMul';

/** Bump when the quantiser's output changes, so cached int8 graphs are remade. */
const QUANTISER_VERSION = 'matmul-int8-percolumn-1';

/** The int8 graph of `source` (made now when missing). */
export function int8GraphFor(source: string, log: Logger, options: GraphCacheOptions = { ...graphCacheOptions(), minBytes: 0 }, minElements?: number): string {
  const plan = planGraphCache(source, { ortVersion: QUANTISER_VERSION, provider: 'cpu' }, options, 'int8');
  if (plan.kind === 'hit') return plan.file;
  if (plan.kind === 'off') throw new PipelineError('INVALID_INPUT', `the int8 UNet needs the graph cache, which is off (${plan.reason}); unset ATELIER_GRAPH_CACHE or turn int8 off`, { argument: 'int8' });
  const started = performance.now();
  try {
    const summary = quantizeMatMulsInt8(source, plan.saveFile, { minElements });
    plan.commit();
    log('info', `made the int8 UNet of ${source} in ${((performance.now() - started) / 1000).toFixed(1)} s: ${summary.quantised} MatMul weights in int8 (${(summary.fp32Bytes / 1e9).toFixed(2)} → ${(summary.int8Bytes / 1e9).toFixed(2)} GB), ${summary.keptFloat} tensors kept in fp32`);
  } catch (error) {
    plan.abort();
    throw error;
  }
  const made = planGraphCache(source, { ortVersion: QUANTISER_VERSION, provider: 'cpu' }, options, 'int8');
  if (made.kind !== 'hit') throw new Error(`the int8 graph of ${source} was written but is not found in the cache`);
  return made.file;
}
