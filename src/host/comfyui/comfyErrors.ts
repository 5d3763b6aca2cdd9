/**
 * ComfyUI's own errors in Atelier's terms: POST /prompt's `error` + `node_errors` (execution.py
 * validate_prompt) and the `execution_error` message. Each names the node, the input, the Atelier
 * setting it came from and the fix; server text is quoted, shortened and stripped of control characters.
 */
import { PipelineError } from '../../shared/errors';
import type { ComfyGraph } from './graph';
import type { ComfyExecutionError } from './messages';

/** Which Atelier setting a node input comes from, and what to do when the server refuses it. */
const SETTING_OF: Readonly<Record<string, { readonly argument: string; readonly fix: string }>> = {
  'CheckpointLoaderSimple.ckpt_name': { argument: 'model', fix: 'choose a checkpoint the server lists (atelier models list --comfyui <url>)' },
  'LoraLoader.lora_name': { argument: 'loras', fix: 'choose a LoRA the server lists' },
  'LoraLoader.strength_model': { argument: 'loras', fix: 'use a LoRA weight from -100 to 100' },
  'ControlNetLoader.control_net_name': { argument: 'controls', fix: 'choose a ControlNet the server lists' },
  'ControlNetApplyAdvanced.strength': { argument: 'controls', fix: 'use a ControlNet scale from 0 to 10' },
  'UpscaleModelLoader.model_name': { argument: 'model', fix: 'choose an upscale model the server lists' },
  'KSampler.steps': { argument: 'steps', fix: 'use fewer steps' },
  'KSampler.cfg': { argument: 'guidanceScale', fix: 'use a guidance scale from 0 to 100' },
  'KSampler.seed': { argument: 'seed', fix: 'use another seed' },
  'KSampler.sampler_name': { argument: 'sampler', fix: 'choose another sampler' },
  'KSampler.scheduler': { argument: 'sampler', fix: 'choose another sampler' },
  'KSampler.denoise': { argument: 'strength', fix: 'use a strength from 0 to 1' },
  'EmptyLatentImage.width': { argument: 'width', fix: 'use a width the server accepts (16 to 16384, multiple of 8)' },
  'EmptyLatentImage.height': { argument: 'height', fix: 'use a height the server accepts (16 to 16384, multiple of 8)' },
  'LoadImage.image': { argument: 'initImage', fix: 'the uploaded image is gone from the server\'s input folder; run the job again' },
  'LoadImageMask.image': { argument: 'mask', fix: 'the uploaded mask is gone from the server\'s input folder; run the job again' },
};

/** Server text, made safe to show: one line, no control characters, bounded. */
export function quote(text: unknown, max = 240): string {
  const s = String(text ?? '').replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function nodeLabel(graph: ComfyGraph, id: string, classType?: string): string {
  return `${classType ?? graph[id]?.class_type ?? 'node'} (node ${id})`;
}

/** POST /prompt answered 400: the first node error (or the top-level error) as a typed error. */
export function promptRejected(body: unknown, graph: ComfyGraph, who: string): PipelineError {
  const nodeErrors = isObj(body) && isObj(body.node_errors) ? body.node_errors : {};
  for (const [id, entry] of Object.entries(nodeErrors)) {
    if (!isObj(entry) || !Array.isArray(entry.errors)) continue;
    const first = entry.errors.find(isObj);
    if (!first) continue;
    const classType = typeof entry.class_type === 'string' ? entry.class_type : graph[id]?.class_type;
    const input = isObj(first.extra_info) && typeof first.extra_info.input_name === 'string' ? first.extra_info.input_name : undefined;
    const setting = input && classType ? SETTING_OF[`${classType}.${input}`] : undefined;
    const more = entry.errors.length > 1 ? ` (and ${entry.errors.length - 1} more)` : '';
    const message = `${who} refused the job: ${nodeLabel(graph, id, classType)}${input ? `, input ${input}` : ''}: ${quote(first.message)}${first.details ? ` (${quote(first.details)})` : ''}${more}; ${setting?.fix ?? 'this graph does not fit this server (a node or model it lacks); update ComfyUI or report it'}`;
    return new PipelineError('INVALID_INPUT', message, { argument: setting?.argument ?? input, detail: JSON.stringify(nodeErrors).slice(0, 4000) });
  }
  const error = isObj(body) && isObj(body.error) ? body.error : {};
  return new PipelineError('BACKEND_INCOMPATIBLE', `${who} refused the job: ${quote(error.message) || 'no reason given'}${error.details ? ` (${quote(error.details)})` : ''}`, { detail: JSON.stringify(body).slice(0, 4000) });
}

const OOM = /out of memory|OutOfMemory|CUDA error: out of memory|Allocation on device|MPS backend out of memory/i;

/** `execution_error` (or a history entry's) as a typed error naming the node that failed. */
export function executionFailed(error: ComfyExecutionError, graph: ComfyGraph, who: string, size?: { width: number; height: number }): PipelineError {
  const id = error.nodeId ?? '?';
  const node = nodeLabel(graph, id, error.nodeType);
  const firstLine = quote(error.exceptionMessage?.split('\n').find((l) => l.trim() !== '') ?? '', 300);
  const type = quote(error.exceptionType ?? 'error', 80);
  const detail = `${type}: ${quote(error.exceptionMessage, 4000)}`;
  if (OOM.test(`${error.exceptionType ?? ''} ${error.exceptionMessage ?? ''}`)) {
    const at = size ? ` at ${size.width}×${size.height}` : '';
    return new PipelineError('OUT_OF_MEMORY', `${who} ran out of GPU memory in ${node}${at}: lower the size or the number of ControlNets and LoRAs, or free the server's memory (other jobs, loaded models)`, { detail });
  }
  const missingFile = /not found|No such file/i.test(error.exceptionMessage ?? '');
  const fix = missingFile ? 'the file is not on the server: choose one it lists' : 'see the ComfyUI console for the traceback';
  return new PipelineError('INFERENCE_FAILED', `${who} failed in ${node}: ${type}: ${firstLine}; ${fix}`, { detail });
}
