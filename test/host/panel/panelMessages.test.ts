import { describe, expect, it } from 'vitest';
import { parseFromPanel, parseLocal, parseSettings } from '../../../src/host/panel/panelMessages';
import type { PanelLocal, PanelSettings } from '../../../src/shared/protocol/panel';

const settings: PanelSettings = { negativePrompt: '', sampler: 'euler', steps: 20, guidanceScale: 7.5, seed: -1, width: 512, height: 512 };
const local: PanelLocal = { prompt: 'a lighthouse', batch: 2, reuseSeed: false };

describe('panel → host message validation', () => {
  it('accepts well-formed settings, panel values, a generate and a history action', () => {
    expect(parseSettings(settings)).toEqual(settings);
    expect(parseSettings({ ...settings, seed: 3757315925 }).seed).toBe(3757315925);
    expect(parseLocal(local)).toEqual(local);
    expect(parseFromPanel({ type: 'generate', settings, local })).toEqual({ type: 'generate', settings, local });
    expect(parseFromPanel({ type: 'historyAction', id: '3', action: 'canvas' })).toEqual({ type: 'historyAction', id: '3', action: 'canvas' });
  });

  it('takes a partial settings change, field by field, and nothing else', () => {
    expect(parseFromPanel({ type: 'setSettings', settings: { steps: 9 } })).toEqual({ type: 'setSettings', settings: { steps: 9 } });
    expect(() => parseFromPanel({ type: 'setSettings', settings: { modelPath: '/etc' } })).toThrow(/unknown fields: modelPath/);
    expect(() => parseFromPanel({ type: 'setSettings', settings: { outputFolder: '/tmp' } })).toThrow(/unknown fields: outputFolder/);
  });

  it.each([
    ['steps 0', { ...settings, steps: 0 }, /steps must be in \[1, 1000\], got 0/],
    ['guidance NaN', { ...settings, guidanceScale: Number.NaN }, /guidanceScale must be a finite number/],
    ['a seed above 2^32-1', { ...settings, seed: 2 ** 32 }, /seed must be in/],
    ['a seed below −1', { ...settings, seed: -2 }, /seed must be in/],
    ['an unknown sampler', { ...settings, sampler: 'heun' }, /sampler must be one of/],
    ['a missing field', { ...settings, width: undefined }, /settings lacks width/],
  ])('refuses settings with %s', (_name, bad, error) => {
    expect(() => parseSettings(bad)).toThrow(error);
  });

  it.each([
    ['a 20-image batch', { ...local, batch: 20 }, /batch must be in \[1, 16\], got 20/],
    ['a prompt past 10,000 characters', { ...local, prompt: 'a'.repeat(10_001) }, /10001 characters; the limit is 10000/],
  ])('refuses panel values with %s', (_name, bad, error) => {
    expect(() => parseLocal(bad)).toThrow(error);
  });

  it('has no message that carries a path', () => {
    expect(() => parseFromPanel({ type: 'historyAction', id: '1', action: 'delete' })).toThrow(/action must be one of/);
    expect(() => parseFromPanel({ type: 'openFile', path: '/etc/passwd' })).toThrow(/unknown message type/);
    expect(parseFromPanel({ type: 'selectModel', id: '2' })).toEqual({ type: 'selectModel', id: '2' });
  });
});
