/**
 * The side panel's "Generation settings": the atelier.* settings that "Generate Image" and the
 * canvas use too. A change is sent to the host, which writes the setting; a change made elsewhere
 * arrives as new values and is shown in place (never over the field being edited).
 */
import { MAX_BATCH, MAX_GUIDANCE, MAX_SIDE, type PanelModel, type PanelSettings, type SeedMode } from '../../shared/protocol/panel';
import { MAX_SEED, MAX_STEPS, SAMPLER_NAMES, type SamplerName } from '../../shared/request';
import { SAMPLER_LABELS } from '../../shared/samplerLabels';
import { h } from '../common/dom';
import { checkNumber, SIZE_PRESETS } from './formCheck';

export type ValueElement = HTMLElement & { value: string };

export interface SettingsFormActions {
  setSettings(patch: Partial<PanelSettings>): void;
  selectModel(id: string): void;
  chooseModel(): void;
  openSettings(): void;
  /** The seed mode changed ("reuse" is the panel's own, not a setting). */
  seedMode(mode: SeedMode): void;
  batch(value: number): void;
  negativeTyped(text: string): void;
}

export function select(name: string, options: readonly { value: string; label: string; description?: string }[], value: string, label = name): ValueElement {
  const el = h('vscode-single-select', { 'data-name': name, 'aria-label': label }, options.map((o) => h('vscode-option', { value: o.value, ...(o.description ? { description: o.description } : {}) }, [o.label]))) as ValueElement;
  el.value = value;
  return el;
}

export function field(name: string, value: string, attrs: Record<string, string> = {}): ValueElement {
  const el = h('vscode-textfield', { 'data-name': name, 'aria-label': name, ...attrs }) as ValueElement;
  el.value = value;
  return el;
}

export function labelled(label: string, control: HTMLElement, extra?: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, [h('vscode-label', {}, [label]), control, ...(extra ? [extra] : [])]);
}

const sizeValue = (s: PanelSettings): string => (SIZE_PRESETS.some(([w, hh]) => w === s.width && hh === s.height) ? `${s.width}x${s.height}` : 'custom');

export class SettingsForm {
  readonly root = h('div', { class: 'settings-form' });
  readonly errors = h('div', { class: 'errors', role: 'alert' });
  readonly negativeCounter = h('span', { class: 'counter', 'data-name': 'negative-tokens' });
  private readonly inputs: {
    negative: ValueElement;
    model: ValueElement;
    sampler: ValueElement;
    steps: ValueElement;
    guidance: ValueElement;
    seedMode: ValueElement;
    seed: ValueElement;
    size: ValueElement;
    width: ValueElement;
    height: ValueElement;
    batch: ValueElement;
  };
  private readonly custom: HTMLElement;

  constructor(private settings: PanelSettings, models: readonly PanelModel[], modelId: string, seedMode: SeedMode, batch: number, private readonly actions: SettingsFormActions) {
    const negative = h('vscode-textarea', { 'data-name': 'negativePrompt', 'aria-label': 'Negative prompt', placeholder: 'What to avoid', rows: '2', resize: 'vertical' }) as ValueElement;
    negative.value = settings.negativePrompt;
    negative.addEventListener('input', () => actions.negativeTyped(negative.value));
    // Written to the settings when the field is left, not on every key.
    negative.addEventListener('change', () => actions.setSettings({ negativePrompt: negative.value }));

    const model = select('model', [...(modelId === '' ? [{ value: '', label: 'No model chosen yet' }] : []), ...models.map((m) => ({ value: m.id, label: m.label, description: m.description }))], modelId);
    model.addEventListener('change', () => model.value !== '' && actions.selectModel(model.value));
    const chooseModel = h('vscode-button', { secondary: '', title: 'Choose a model folder', 'data-name': 'choose-model' }, ['Choose…']);
    chooseModel.addEventListener('click', () => actions.chooseModel());

    const sampler = select('sampler', SAMPLER_NAMES.map((s) => ({ value: s, label: SAMPLER_LABELS[s] })), settings.sampler);
    sampler.addEventListener('change', () => actions.setSettings({ sampler: sampler.value as SamplerName }));
    const steps = field('steps', String(settings.steps), { type: 'number', min: '1', max: String(MAX_STEPS) });
    const guidance = field('guidance', String(settings.guidanceScale), { type: 'number', min: '0', max: String(MAX_GUIDANCE), step: '0.5' });
    const seedModeSelect = select('seedMode', [{ value: 'random', label: 'Random seed' }, { value: 'fixed', label: 'Fixed seed' }, { value: 'reuse', label: 'Reuse last seed' }], seedMode, 'Seed mode');
    const seed = field('seed', settings.seed >= 0 ? String(settings.seed) : '', { type: 'number', min: '0', max: String(MAX_SEED), class: 'seed' });
    seed.hidden = seedMode !== 'fixed';
    seedModeSelect.addEventListener('change', () => {
      const mode = seedModeSelect.value as SeedMode;
      seed.hidden = mode !== 'fixed';
      actions.seedMode(mode);
    });
    const size = select('size', [...SIZE_PRESETS.map(([w, hh]) => ({ value: `${w}x${hh}`, label: `${w} × ${hh}` })), { value: 'custom', label: 'Custom…' }], sizeValue(settings));
    const width = field('width', String(settings.width), { type: 'number', min: '64', max: String(MAX_SIDE), step: '8' });
    const height = field('height', String(settings.height), { type: 'number', min: '64', max: String(MAX_SIDE), step: '8' });
    this.custom = h('div', { class: 'row size' }, [width, h('span', {}, ['×']), height]);
    this.custom.hidden = size.value !== 'custom';
    size.addEventListener('change', () => {
      this.custom.hidden = size.value !== 'custom';
      const match = /^(\d+)x(\d+)$/.exec(size.value);
      if (match) actions.setSettings({ width: Number(match[1]), height: Number(match[2]) });
    });
    const batchField = field('batch', String(batch), { type: 'number', min: '1', max: String(MAX_BATCH) });
    this.inputs = { negative, model, sampler, steps, guidance, seedMode: seedModeSelect, seed, size, width, height, batch: batchField };
    for (const input of [steps, guidance, seed, width, height, batchField]) input.addEventListener('change', () => this.commitNumbers());

    const openSettings = h('vscode-button', { secondary: '', 'data-name': 'open-settings', title: 'Open these settings in VS Code\'s Settings editor' }, ['Settings…']);
    openSettings.addEventListener('click', () => actions.openSettings());
    this.root.append(
      h('p', { class: 'hint' }, ['Shared with Generate Image and the canvas (atelier.* settings).']),
      labelled('Negative prompt', negative, this.negativeCounter),
      labelled('Model', h('div', { class: 'row model' }, [model, chooseModel])),
      labelled('Sampler', sampler),
      h('div', { class: 'row two' }, [labelled('Steps', steps), labelled('Guidance', guidance)]),
      labelled('Seed', h('div', { class: 'stack' }, [seedModeSelect, seed])),
      labelled('Size', size, this.custom),
      labelled('Batch count', batchField),
      this.errors,
      openSettings,
    );
  }

  /** Shows values that changed elsewhere; the field being edited keeps what the user is typing. */
  show(settings: PanelSettings, modelId: string): void {
    this.settings = settings;
    const focused = (el: HTMLElement): boolean => el.contains(document.activeElement) || el === document.activeElement;
    const put = (el: ValueElement, value: string): void => {
      if (!focused(el) && el.value !== value) el.value = value;
    };
    put(this.inputs.negative, settings.negativePrompt);
    put(this.inputs.sampler, settings.sampler);
    put(this.inputs.steps, String(settings.steps));
    put(this.inputs.guidance, String(settings.guidanceScale));
    if (settings.seed >= 0) put(this.inputs.seed, String(settings.seed));
    if (this.inputs.seedMode.value !== 'reuse') {
      put(this.inputs.seedMode, settings.seed >= 0 ? 'fixed' : 'random');
      this.inputs.seed.hidden = this.inputs.seedMode.value !== 'fixed';
    }
    put(this.inputs.size, sizeValue(settings));
    this.custom.hidden = this.inputs.size.value !== 'custom';
    put(this.inputs.width, String(settings.width));
    put(this.inputs.height, String(settings.height));
    if (modelId !== '') put(this.inputs.model, modelId);
  }

  /** Puts a seed in the seed field when it is empty. */
  fillSeed(seed: number): void {
    if (this.inputs.seed.value.trim() === '') this.inputs.seed.value = String(seed);
  }

  get seedMode(): SeedMode {
    return this.inputs.seedMode.value as SeedMode;
  }

  /** Checks every number field; shows each problem (naming the field, the value and the fix). */
  private readNumbers(): { settings: PanelSettings; batch: number } | undefined {
    const i = this.inputs;
    const fixed = this.seedMode === 'fixed';
    const checks = {
      steps: checkNumber({ name: 'Steps', raw: i.steps.value, min: 1, max: MAX_STEPS, integer: true }),
      guidanceScale: checkNumber({ name: 'Guidance', raw: i.guidance.value, min: 0, max: MAX_GUIDANCE, integer: false }),
      seed: fixed ? checkNumber({ name: 'Seed', raw: i.seed.value, min: 0, max: MAX_SEED, integer: true }) : { value: this.seedMode === 'random' ? -1 : this.settings.seed },
      width: checkNumber({ name: 'Width', raw: i.width.value, min: 64, max: MAX_SIDE, integer: true, multipleOf: 8 }),
      height: checkNumber({ name: 'Height', raw: i.height.value, min: 64, max: MAX_SIDE, integer: true, multipleOf: 8 }),
      batch: checkNumber({ name: 'Batch count', raw: i.batch.value, min: 1, max: MAX_BATCH, integer: true }),
    };
    const problems = Object.values(checks).flatMap((c) => ('error' in c ? [c.error] : []));
    this.errors.replaceChildren(...problems.map((p) => h('div', {}, [p])));
    if (problems.length > 0) return undefined;
    const value = (c: { value: number } | { error: string }): number => ('value' in c ? c.value : 0);
    return {
      settings: { ...this.settings, negativePrompt: i.negative.value, sampler: i.sampler.value as SamplerName, steps: value(checks.steps), guidanceScale: value(checks.guidanceScale), seed: value(checks.seed), width: value(checks.width), height: value(checks.height) },
      batch: value(checks.batch),
    };
  }

  private commitNumbers(): void {
    const read = this.readNumbers();
    if (!read) return;
    const { steps, guidanceScale, seed, width, height } = read.settings;
    this.actions.setSettings({ steps, guidanceScale, seed, width, height });
    this.actions.batch(read.batch);
  }

  /** All values for Generate, or undefined (with the problems shown) when a field is wrong. */
  current(): { settings: PanelSettings; batch: number } | undefined {
    return this.readNumbers();
  }
}
