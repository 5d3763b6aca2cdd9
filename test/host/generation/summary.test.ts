import { describe, expect, it } from 'vitest';
import { generationSummary, modelLabel } from '../../../src/host/generation/summary';

describe('the generation summary shown where the user generates', () => {
  it('names the model, the size, steps, sampler, guidance and seed', () => {
    const values = { sampler: 'euler' as const, steps: 20, guidanceScale: 7.5, seed: -1 };
    expect(generationSummary(values, 'sd15', { width: 512, height: 768 })).toBe('sd15 · 512×768 · 20 steps · Euler · guidance 7.5 · random seed');
    expect(generationSummary({ ...values, steps: 1, seed: 3757315925 }, undefined)).toBe('no model chosen · 1 step · Euler · guidance 7.5 · seed 3757315925');
  });

  it('labels a Hugging Face cache snapshot by its repo, the demo as such, else by folder name', () => {
    expect(modelLabel('/home/u/.cache/huggingface/hub/models--stable-diffusion-v1-5--stable-diffusion-v1-5/snapshots/abc123')).toBe('stable-diffusion-v1-5/stable-diffusion-v1-5');
    expect(modelLabel('/ext/dist/demo-model', true)).toBe('demo model');
    expect(modelLabel('/models/sd15-onnx')).toBe('sd15-onnx');
  });
});
