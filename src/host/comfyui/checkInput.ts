/**
 * Checks a ComfyUI job against the limits of the core nodes it becomes (nodes.py INPUT_TYPES), before
 * anything is uploaded: the server's own validation would refuse the same values later, less clearly.
 */
import { PipelineError } from '../../shared/errors';
import { MAX_SEED } from '../../shared/request';
import type { ComfyWorkflowInput } from './workflowInput';

/** nodes.py MAX_RESOLUTION: the largest side EmptyLatentImage and ImagePadForOutpaint accept. */
export const COMFY_MAX_RESOLUTION = 16384;
/** KSampler.steps max. */
export const COMFY_MAX_STEPS = 10000;
/** ControlNetApplyAdvanced.strength max. */
export const COMFY_MAX_CONTROL_STRENGTH = 10;
/** LoraLoader.strength_model / strength_clip bounds. */
export const COMFY_MAX_LORA_WEIGHT = 100;

function invalid(argument: string, message: string): PipelineError {
  return new PipelineError('INVALID_INPUT', message, { argument });
}

const show = (value: unknown): string => (typeof value === 'number' ? String(value) : JSON.stringify(value));
const inRange = (v: number, min: number, max: number): boolean => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;

function checkName(argument: string, name: string, what: string): void {
  if (typeof name !== 'string' || name.trim() === '') throw invalid(argument, `${what} must name a file the server lists, got ${show(name)}`);
}

export function checkWorkflowInput(input: ComfyWorkflowInput<unknown>): void {
  checkName('model', input.checkpoint, 'the checkpoint');
  const { steps, guidanceScale, seed } = input.sampling;
  if (!Number.isInteger(steps) || steps < 1 || steps > COMFY_MAX_STEPS) throw invalid('steps', `steps must be a whole number from 1 to ${COMFY_MAX_STEPS}, got ${show(steps)}`);
  if (!inRange(guidanceScale, 0, 100)) throw invalid('guidanceScale', `guidance must be from 0 to 100, got ${show(guidanceScale)}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw invalid('seed', `the seed must be drawn before the graph is built (0…${MAX_SEED}), got ${show(seed)}`);
  if (input.kind === 'txt2img') {
    for (const [argument, side] of [['width', input.width], ['height', input.height]] as const) {
      if (!Number.isInteger(side) || side % 8 !== 0 || side < 16 || side > COMFY_MAX_RESOLUTION) {
        throw invalid(argument, `${argument} must be a multiple of 8 from 16 to ${COMFY_MAX_RESOLUTION}, got ${show(side)}`);
      }
    }
  } else if (!inRange(input.strength, 0, 1)) {
    throw invalid('strength', `strength must be from 0 to 1, got ${show(input.strength)}`);
  }
  if (input.kind === 'outpaint') {
    for (const side of ['left', 'right', 'top', 'bottom'] as const) {
      const px = input.extend[side];
      if (!Number.isInteger(px) || px < 0 || px > COMFY_MAX_RESOLUTION) throw invalid('outpaint', `outpaint ${side} must be a whole number of pixels from 0 to ${COMFY_MAX_RESOLUTION}, got ${show(px)}`);
    }
    if (input.extend.left + input.extend.right + input.extend.top + input.extend.bottom === 0) throw invalid('outpaint', 'outpaint grows no side: give at least one side a size');
    if (!Number.isInteger(input.feather) || input.feather < 0 || input.feather > COMFY_MAX_RESOLUTION) throw invalid('maskBlur', `the outpaint feather must be a whole number of pixels ≥ 0, got ${show(input.feather)}`);
  }
  input.loras.forEach((lora, i) => {
    checkName('loras', lora.name, `LoRA ${i + 1}`);
    if (!inRange(lora.weight, -COMFY_MAX_LORA_WEIGHT, COMFY_MAX_LORA_WEIGHT)) throw invalid('loras', `LoRA ${lora.name}: the weight must be from -${COMFY_MAX_LORA_WEIGHT} to ${COMFY_MAX_LORA_WEIGHT}, got ${show(lora.weight)}`);
  });
  input.controls.forEach((control, i) => {
    checkName('controls', control.controlNet, `ControlNet ${i + 1}`);
    if (!inRange(control.scale, 0, COMFY_MAX_CONTROL_STRENGTH)) throw invalid('controls', `ControlNet ${control.controlNet}: the scale must be from 0 to ${COMFY_MAX_CONTROL_STRENGTH}, got ${show(control.scale)}`);
    if (!inRange(control.start, 0, 1) || !inRange(control.end, 0, 1) || control.start >= control.end) {
      throw invalid('controls', `ControlNet ${control.controlNet}: start and end are fractions of the steps with 0 ≤ start < end ≤ 1, got ${show(control.start)}:${show(control.end)}`);
    }
  });
}
