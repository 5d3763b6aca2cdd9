import { describe, expect, it } from 'vitest';
import { parseForm, parseFromPanel } from '../../../src/extension/panel/panelMessages';
import type { PanelForm } from '../../../src/shared/protocol/panel';

const form: PanelForm = { prompt: 'a lighthouse', negativePrompt: '', modelId: '1', sampler: 'euler', steps: 20, guidanceScale: 7.5, seedMode: 'random', seed: 0, width: 512, height: 512, batch: 2 };

describe('panel → host message validation', () => {
  it('accepts a well-formed form and history action', () => {
    expect(parseForm(form)).toEqual(form);
    expect(parseFromPanel({ type: 'historyAction', id: '3', action: 'canvas' })).toEqual({ type: 'historyAction', id: '3', action: 'canvas' });
  });

  it.each([
    ['steps 0', { ...form, steps: 0 }, /steps must be in \[1, 1000\], got 0/],
    ['guidance NaN', { ...form, guidanceScale: Number.NaN }, /guidanceScale must be a finite number/],
    ['a 20-image batch', { ...form, batch: 20 }, /batch must be in \[1, 16\], got 20/],
    ['a seed above 2^32-1', { ...form, seed: 2 ** 32 }, /seed must be in/],
    ['an unknown sampler', { ...form, sampler: 'heun' }, /sampler must be one of/],
    ['a prompt past 10,000 characters', { ...form, prompt: 'a'.repeat(10_001) }, /10001 characters; the limit is 10000/],
  ])('refuses %s', (_name, bad, error) => {
    expect(() => parseForm(bad)).toThrow(error);
  });

  it('has no message that carries a path', () => {
    expect(() => parseFromPanel({ type: 'historyAction', id: '1', action: 'delete' })).toThrow(/action must be one of/);
    expect(() => parseFromPanel({ type: 'openFile', path: '/etc/passwd' })).toThrow(/unknown message type/);
  });
});
