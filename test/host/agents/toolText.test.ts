import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelListText, writtenText } from '../../../src/host/agents/toolText';
import { ToolInputError, toolErrorText } from '../../../src/host/agents/toolErrors';
import { PipelineError } from '../../../src/shared/errors';

const ws = path.resolve('/ws');

describe('tool result text', () => {
  it('names the file written, its size, seed and model', () => {
    const file = path.join(ws, 'assets', 'fox.png');
    expect(writtenText('Generated', { saved: file, requested: file, width: 512, height: 512, seed: 42, model: 'sd-turbo' }, [ws])).toBe('Generated assets/fox.png (512×512, seed 42, model sd-turbo).');
  });

  it('names the recipe written beside the image, and says nothing of one when none was written', () => {
    const file = path.join(ws, 'assets', 'fox.png');
    const text = writtenText('Generated', { saved: file, requested: file, width: 64, height: 64, recipe: path.join(ws, 'assets', 'fox.atelier.json') }, [ws]);
    expect(text).toBe('Generated assets/fox.png (64×64). Its recipe is assets/fox.atelier.json (edit it and run `atelier build` or "Atelier: Build Assets" to regenerate).');
    expect(writtenText('Generated', { saved: file, requested: file, width: 64, height: 64 }, [ws])).not.toContain('recipe');
  });

  it('says when the requested name was taken and the existing file kept', () => {
    const text = writtenText('Generated', { saved: path.join(ws, 'fox-1.png'), requested: path.join(ws, 'fox.png'), width: 64, height: 64 }, [ws]);
    expect(text).toContain('fox.png already existed and was left unchanged, so the new image has the name fox-1.png');
  });

  it('lists the configured model and the cached ones, marking the configured one', () => {
    const text = modelListText({ configured: { dir: '/cache/sd', demo: false }, cached: [{ repo: 'stabilityai/sd-turbo', dir: '/cache/sd', pipelineClass: 'StableDiffusionPipeline' }, { repo: 'x/y', dir: '/cache/y', pipelineClass: undefined }] });
    expect(text).toContain('Configured model: /cache/sd');
    expect(text).toContain('- stabilityai/sd-turbo (StableDiffusionPipeline) [configured]');
    expect(text).toContain('- x/y\n');
    expect(modelListText({ cached: [] })).toMatch(/No model is configured yet[\s\S]*No models in the Hugging Face cache/);
    expect(modelListText({ configured: { dir: '/d', demo: true }, cached: [] })).toContain('built-in demo model (an analytic test model');
  });
});

describe('tool error text', () => {
  it('input problems name the field and ask for a corrected call', () => {
    expect(toolErrorText('atelier_generateImage', new ToolInputError('path', 'path "../x.png" is outside the workspace'))).toBe('atelier_generateImage was not run: invalid input "path": path "../x.png" is outside the workspace. Fix the input and call the tool again.');
    expect(toolErrorText('atelier_generateImage', new PipelineError('INVALID_INPUT', 'width must be a multiple of 8, got 500 (try 496 or 504)', { argument: 'width' }), ['width', 'height'])).toMatch(/invalid input "width": width must be a multiple of 8/);
  });

  it('a settings problem is not blamed on the input (the inverse)', () => {
    const text = toolErrorText('atelier_generateImage', new PipelineError('INVALID_INPUT', 'steps must be at least 1, got 0', { argument: 'steps' }), ['width', 'height']);
    expect(text).toContain('Invalid setting: steps must be at least 1');
    expect(text).toContain("in the user's Atelier settings");
  });

  it('uses the host wording for pipeline errors, and says cancelled plainly', () => {
    expect(toolErrorText('atelier_generateImage', new PipelineError('MODEL_MISSING_FILE', 'unet/model.onnx is missing'))).toBe('atelier_generateImage failed: The model is incomplete: unet/model.onnx is missing. No file was written.');
    expect(toolErrorText('atelier_upscaleImage', new PipelineError('CANCELLED', 'cancelled'))).toBe('atelier_upscaleImage was cancelled; no file was written.');
    expect(toolErrorText('atelier_listModels', new Error('boom'))).toMatch(/^atelier_listModels failed: Atelier hit an internal error: boom/);
  });
});
