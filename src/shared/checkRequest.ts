/** Validates a request at the worker boundary. Errors name the argument, the value and the fix. */
import { PipelineError } from './errors';
import { MODEL_DEFAULTABLE } from './samplingDefaults';
import { controlCharacterProblem } from './promptText';
import {
  EXECUTION_PROVIDERS,
  MAX_PIXELS,
  MAX_PROMPT_CHARS,
  MAX_SEED,
  MAX_STEPS,
  SAMPLER_NAMES,
  CONTROL_TYPES,
  MAX_CONTROL_SCALE,
  WORKING_RESOLUTIONS,
  type ControlInput,
  rawImageProblem,
  type RawImage,
  type GenerationRequest,
} from './request';

function invalid(argument: string, message: string): PipelineError {
  return new PipelineError('INVALID_INPUT', message, { argument });
}

function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return JSON.stringify(value) ?? String(value);
}

function checkSide(name: 'width' | 'height', value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(name, `${name} must be a whole number of pixels, got ${show(value)}`);
  if (value < 64) throw invalid(name, `${name} must be at least 64 pixels, got ${value}`);
  if (value % 8 !== 0) {
    const lower = value - (value % 8);
    throw invalid(name, `${name} must be a multiple of 8, got ${value} (try ${lower} or ${lower + 8})`);
  }
  return value;
}

function checkPrompt(name: 'prompt' | 'negativePrompt', value: unknown): void {
  if (typeof value !== 'string') throw invalid(name, `${name} must be text, got ${show(value)}`);
  if (value.length > MAX_PROMPT_CHARS) {
    throw invalid(name, `${name} must be at most ${MAX_PROMPT_CHARS} characters, got ${value.length}; shorten it (only the first 75 tokens are used anyway)`);
  }
  const control = controlCharacterProblem(name, value);
  if (control) throw invalid(name, control);
}

export function checkRequest(request: GenerationRequest): void {
  if (request.kind !== 'txt2img' && request.kind !== 'img2img' && request.kind !== 'inpaint' && request.kind !== 'outpaint') {
    throw invalid('kind', `kind must be "txt2img", "img2img", "inpaint" or "outpaint", got ${show((request as { kind: unknown }).kind)}`);
  }
  if (typeof request.modelDir !== 'string' || request.modelDir.trim() === '') throw invalid('modelDir', 'modelDir must name a model folder, got an empty value');
  checkPrompt('prompt', request.prompt);
  checkPrompt('negativePrompt', request.negativePrompt);
  if (request.kind === 'txt2img') {
    const width = checkSide('width', request.width);
    const height = checkSide('height', request.height);
    if (width * height > MAX_PIXELS) {
      throw invalid('width', `width × height must be at most ${MAX_PIXELS} pixels (4096×4096), got ${width}×${height}; generate smaller and upscale`);
    }
  } else {
    if (typeof request.strength !== 'number' || !Number.isFinite(request.strength) || request.strength < 0 || request.strength > 1) {
      throw invalid('strength', `strength must be a number from 0 (keep the image) to 1 (ignore it), got ${show(request.strength)}`);
    }
    if (!(request.initImage instanceof Uint8Array) || request.initImage.length === 0) throw invalid('initImage', 'initImage must be the bytes of a PNG, JPEG or WebP image');
    if (request.workingResolution !== undefined && !(WORKING_RESOLUTIONS as readonly string[]).includes(request.workingResolution)) {
      throw invalid('workingResolution', `workingResolution must be ${WORKING_RESOLUTIONS.map((r) => JSON.stringify(r)).join(' or ')}, got ${show(request.workingResolution)}`);
    }
    if ((request.kind === 'inpaint' || request.kind === 'outpaint') && (typeof request.maskBlur !== 'number' || !Number.isInteger(request.maskBlur) || request.maskBlur < 0 || request.maskBlur > 256)) {
      throw invalid('maskBlur', `mask blur must be a whole number of pixels from 0 to 256, got ${show(request.maskBlur)}`);
    }
    if (request.kind === 'outpaint') {
      const sides = request.extend;
      for (const side of ['left', 'right', 'top', 'bottom'] as const) {
        const v = sides?.[side];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalid('extend', `outpaint ${side} must be a whole number of pixels ≥ 0, got ${show(v)}`);
      }
      if (sides.left + sides.right + sides.top + sides.bottom === 0) throw invalid('extend', 'outpaint needs at least one side to extend (all four are 0)');
      if (request.fill !== 'edge' && request.fill !== 'noise') throw invalid('fill', `outpaint fill must be "edge" or "noise", got ${show(request.fill)}`);
    }
    if (request.kind === 'inpaint') {
      const mask: unknown = request.mask;
      if (typeof mask === 'object' && mask !== null && !(mask instanceof Uint8Array)) {
        const problem = rawImageProblem(mask as RawImage, [1]);
        if (problem) throw invalid('mask', `the mask's pixels cannot be used: ${problem}`);
      } else if (!(mask instanceof Uint8Array) || mask.length === 0) throw invalid('mask', 'mask must be the bytes of an image (white = repaint)');
      const padding = request.onlyMasked?.padding;
      if (request.onlyMasked !== undefined && (typeof padding !== 'number' || !Number.isInteger(padding) || padding < 0 || padding > 1024)) {
        throw invalid('onlyMasked', `the "only masked" padding must be a whole number of pixels from 0 to 1024, got ${show(padding)}`);
      }
    }
  }
  checkControls(request);
  const { sampler, steps, guidanceScale, seed } = request.sampling;
  if (!(SAMPLER_NAMES as readonly string[]).includes(sampler)) {
    throw invalid('sampler', `sampler must be one of ${SAMPLER_NAMES.join(', ')}, got ${show(sampler)}`);
  }
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS) {
    throw invalid('steps', `steps must be a whole number from 1 to ${MAX_STEPS}, got ${show(steps)}`);
  }
  if (typeof guidanceScale !== 'number' || !Number.isFinite(guidanceScale)) {
    throw invalid('guidanceScale', `guidance must be a finite number (typically 1–12; 0 for Turbo models), got ${show(guidanceScale)}`);
  }
  if (guidanceScale < 0 || guidanceScale > 100) throw invalid('guidanceScale', `guidance must be between 0 and 100, got ${guidanceScale}`);
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw invalid('seed', `seed must be a whole number from 0 to ${MAX_SEED}, got ${show(seed)}`);
  }
  const open: unknown = request.modelDefaults;
  if (open !== undefined && (!Array.isArray(open) || open.some((f) => !(MODEL_DEFAULTABLE as readonly unknown[]).includes(f)))) {
    throw invalid('modelDefaults', `modelDefaults must list some of ${MODEL_DEFAULTABLE.join(', ')}, got ${show(open)}`);
  }
  if (typeof request.previewEvery !== 'number' || !Number.isInteger(request.previewEvery) || request.previewEvery < 0) {
    throw invalid('previewEvery', `previewEvery must be a whole number ≥ 0, got ${show(request.previewEvery)}`);
  }
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(request.executionProvider)) {
    throw invalid('executionProvider', `executionProvider must be one of ${EXECUTION_PROVIDERS.join(', ')}, got ${show(request.executionProvider)}`);
  }
}

const MAX_CONTROLS = 8;

function checkControls(request: GenerationRequest): void {
  const controls: unknown = request.controls;
  if (controls === undefined) return;
  if (!Array.isArray(controls)) throw invalid('controls', `controls must be a list, got ${show(controls)}`);
  if (controls.length > MAX_CONTROLS) throw invalid('controls', `at most ${MAX_CONTROLS} ControlNets can run together, got ${controls.length}`);
  controls.forEach((control: ControlInput, i) => {
    const label = `control ${i + 1}`;
    if (!(CONTROL_TYPES as readonly string[]).includes(control?.type)) throw invalid('controls', `${label}: type must be one of ${CONTROL_TYPES.join(', ')}, got ${show(control?.type)}`);
    const image: unknown = control.image;
    if (typeof image === 'object' && image !== null && !(image instanceof Uint8Array)) {
      const problem = rawImageProblem(image as RawImage, [1, 3]);
      if (problem) throw invalid('controls', `${label} (${control.type}): the image's pixels cannot be used: ${problem}`);
    } else if (!(image instanceof Uint8Array) || image.length === 0) throw invalid('controls', `${label} (${control.type}): image must be the bytes of a PNG, JPEG or WebP image`);
    if (typeof control.scale !== 'number' || !Number.isFinite(control.scale) || control.scale < 0 || control.scale > MAX_CONTROL_SCALE) {
      throw invalid('controls', `${label} (${control.type}): scale must be from 0 to ${MAX_CONTROL_SCALE} (1 is the trained strength), got ${show(control.scale)}`);
    }
    const { start, end } = control;
    if (typeof start !== 'number' || typeof end !== 'number' || !(start >= 0 && start < end && end <= 1)) {
      throw invalid('controls', `${label} (${control.type}): start and end are fractions of the steps with 0 ≤ start < end ≤ 1, got start ${show(start)}, end ${show(end)}`);
    }
    if (control.controlNetDir !== undefined && (typeof control.controlNetDir !== 'string' || control.controlNetDir.trim() === '')) throw invalid('controls', `${label}: controlNetDir must name a folder, got ${show(control.controlNetDir)}`);
  });
  const roots: unknown = request.controlNetRoots;
  if (roots !== undefined && (!Array.isArray(roots) || roots.some((r) => typeof r !== 'string'))) throw invalid('controlNetRoots', `controlNetRoots must be a list of folder paths, got ${show(roots)}`);
}
