/** Validates a request at the worker boundary. Errors name the argument, the value and the fix. */
import { PipelineError } from '../../shared/errors';
import {
  EXECUTION_PROVIDERS,
  MAX_PIXELS,
  MAX_PROMPT_CHARS,
  MAX_SEED,
  MAX_STEPS,
  SAMPLER_NAMES,
  type GenerationRequest,
} from '../../shared/request';

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
    if ((request.kind === 'inpaint' || request.kind === 'outpaint') && (typeof request.maskBlur !== 'number' || !Number.isInteger(request.maskBlur) || request.maskBlur < 0 || request.maskBlur > 256)) {
      throw invalid('maskBlur', `mask blur must be a whole number of pixels from 0 to 256, got ${show(request.maskBlur)}`);
    }
    if (request.kind === 'outpaint') {
      const sides = request.extend;
      for (const side of ['left', 'right', 'top', 'bottom'] as const) {
        const v = sides?.[side];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v % 8 !== 0) throw invalid('extend', `outpaint ${side} must be a whole multiple of 8 pixels ≥ 0, got ${show(v)}`);
      }
      if (sides.left + sides.right + sides.top + sides.bottom === 0) throw invalid('extend', 'outpaint needs at least one side to extend (all four are 0)');
      if (request.fill !== 'edge' && request.fill !== 'noise') throw invalid('fill', `outpaint fill must be "edge" or "noise", got ${show(request.fill)}`);
    }
    if (request.kind === 'inpaint') {
      if (!(request.mask instanceof Uint8Array) || request.mask.length === 0) throw invalid('mask', 'mask must be the bytes of a PNG image (white = repaint)');
    }
  }
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
  if (typeof request.previewEvery !== 'number' || !Number.isInteger(request.previewEvery) || request.previewEvery < 0) {
    throw invalid('previewEvery', `previewEvery must be a whole number ≥ 0, got ${show(request.previewEvery)}`);
  }
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(request.executionProvider)) {
    throw invalid('executionProvider', `executionProvider must be one of ${EXECUTION_PROVIDERS.join(', ')}, got ${show(request.executionProvider)}`);
  }
}
