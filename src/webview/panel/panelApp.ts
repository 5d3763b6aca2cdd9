/**
 * The side panel webview: the form (persisted by the host per workspace), a token counter fed by the
 * worker's tokenizer, Generate/Cancel, the live preview and the history list. Bitmaps arrive as bytes
 * and are shown through blob URLs; text only ever goes in through textContent.
 */
import { MAX_BATCH, MAX_GUIDANCE, MAX_SIDE, PANEL_PROTOCOL_VERSION, type FromPanel, type HistoryItem, type PanelForm, type PanelModel, type SeedMode, type ToPanel } from '../../shared/protocol/panel';
import { MAX_SEED, MAX_STEPS, SAMPLER_NAMES, type SamplerName } from '../../shared/request';
import { h } from '../common/dom';
import type { HostChannel } from '../common/vscodeApi';
import { checkNumber, SIZE_PRESETS } from './formCheck';

type ValueElement = HTMLElement & { value: string };
type Init = Extract<ToPanel, { type: 'init' }>;

const SAMPLER_LABELS: Record<SamplerName, string> = {
  'model-default': 'Model default',
  euler: 'Euler',
  'euler-a': 'Euler a',
  ddim: 'DDIM',
  'dpmpp-2m': 'DPM++ 2M',
  'dpmpp-2m-karras': 'DPM++ 2M Karras',
  lcm: 'LCM',
  pndm: 'PNDM (PLMS)',
};

/** A Blob of PNG bytes (copied: the message's buffer may be shared). */
function pngBlob(png: Uint8Array): Blob {
  return new Blob([new Uint8Array(png)], { type: 'image/png' });
}

function select(name: string, options: readonly { value: string; label: string; description?: string }[], value: string): ValueElement {
  const el = h('vscode-single-select', { 'data-name': name, 'aria-label': name }, options.map((o) => h('vscode-option', { value: o.value, ...(o.description ? { description: o.description } : {}) }, [o.label]))) as ValueElement;
  el.value = value;
  return el;
}

function field(name: string, value: string, attrs: Record<string, string> = {}): ValueElement {
  const el = h('vscode-textfield', { 'data-name': name, 'aria-label': name, ...attrs }) as ValueElement;
  el.value = value;
  return el;
}

function labelled(label: string, control: HTMLElement, extra?: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, [h('vscode-label', {}, [label]), control, ...(extra ? [extra] : [])]);
}

export class PanelApp {
  private models: readonly PanelModel[] = [];
  private form: PanelForm | undefined;
  private lastSeed: number | undefined;
  private busy = false;
  private tokenTimers: Partial<Record<'prompt' | 'negativePrompt', number>> = {};
  private readonly counters = { prompt: h('span', { class: 'counter', 'data-name': 'prompt-tokens' }), negativePrompt: h('span', { class: 'counter', 'data-name': 'negative-tokens' }) };
  private readonly formRoot = h('div', { class: 'form' });
  private readonly errors = h('div', { class: 'errors', role: 'alert' });
  private readonly preview = h('canvas', { class: 'preview', width: '64', height: '64', 'aria-label': 'Preview' });
  private readonly result = h('img', { class: 'result', alt: 'Generated image' });
  private readonly progress = h('div', { class: 'progress', 'data-name': 'progress' });
  private readonly status = h('div', { class: 'status', role: 'status', 'data-name': 'status' });
  private readonly historyList = h('ul', { class: 'history', 'aria-label': 'History' });
  private readonly thumbs = new Map<string, string>();
  private controls: { generate: HTMLElement; cancel: HTMLElement } | undefined;
  private numberInputs: Record<'steps' | 'guidance' | 'seed' | 'width' | 'height' | 'batch', ValueElement> | undefined;

  constructor(private readonly host: HostChannel<FromPanel, Record<string, never>>, root: HTMLElement) {
    root.append(
      h('div', { class: 'panel' }, [
        this.formRoot,
        this.errors,
        h('section', { class: 'output' }, [this.progress, h('div', { class: 'frame' }, [this.preview, this.result]), this.status]),
        h('section', {}, [h('h3', {}, ['History']), this.historyList]),
      ]),
    );
    this.result.hidden = true;
    window.addEventListener('message', (event: MessageEvent<ToPanel>) => this.receive(event.data));
    host.post({ type: 'ready', v: PANEL_PROTOCOL_VERSION });
  }

  private receive(message: ToPanel): void {
    switch (message.type) {
      case 'init':
        return this.init(message);
      case 'tokens': {
        const counter = this.counters[message.field];
        counter.textContent = `${message.count}/${message.max}`;
        counter.classList.toggle('over', message.count > message.max);
        counter.title = message.count > message.max ? `${message.count - message.max} tokens past ${message.max} are dropped` : 'CLIP tokens used';
        return;
      }
      case 'loadForm':
        if (!this.form) return;
        this.form = { ...this.form, ...message.form };
        this.renderForm();
        this.saveForm();
        this.status.textContent = 'Settings loaded from the image.';
        return;
      case 'progress':
        this.progress.textContent = `${message.images > 1 ? `Image ${message.image}/${message.images} · ` : ''}${message.message} · ${(message.elapsedMs / 1000).toFixed(1)} s`;
        return;
      case 'preview':
        return this.showPreview(message.width, message.height, message.rgb);
      case 'result': {
        const url = URL.createObjectURL(pngBlob(message.png));
        if (this.result.src) URL.revokeObjectURL(this.result.src);
        this.result.src = url;
        this.result.hidden = false;
        this.preview.hidden = true;
        this.lastSeed = message.seed;
        this.status.textContent = `Saved ${message.fileName} (seed ${message.seed}).`;
        return;
      }
      case 'done':
        this.setBusy(false);
        this.progress.textContent = '';
        this.status.textContent = message.message;
        this.status.dataset.level = message.level;
        return;
      case 'history':
        return this.renderHistory(message.items);
      case 'thumbnail': {
        const url = URL.createObjectURL(pngBlob(message.png));
        const previous = this.thumbs.get(message.id);
        if (previous) URL.revokeObjectURL(previous);
        this.thumbs.set(message.id, url);
        const img = this.historyList.querySelector<HTMLImageElement>(`img[data-id="${CSS.escape(message.id)}"]`);
        if (img) img.src = url;
        return;
      }
    }
  }

  private init(message: Init): void {
    this.models = message.models;
    this.form = message.form;
    this.lastSeed = message.lastSeed;
    this.renderForm();
    this.setBusy(message.busy);
    this.requestTokens('prompt');
    this.requestTokens('negativePrompt');
  }

  private saveForm(): void {
    if (this.form) this.host.post({ type: 'form', form: this.form });
  }

  private set(patch: Partial<PanelForm>): void {
    if (!this.form) return;
    this.form = { ...this.form, ...patch };
    this.saveForm();
  }

  private requestTokens(fieldName: 'prompt' | 'negativePrompt'): void {
    clearTimeout(this.tokenTimers[fieldName]);
    this.tokenTimers[fieldName] = window.setTimeout(() => {
      if (this.form) this.host.post({ type: 'tokenize', field: fieldName, text: this.form[fieldName] });
    }, 150);
  }

  private renderForm(): void {
    const form = this.form;
    if (!form) return;
    const prompt = h('vscode-textarea', { 'data-name': 'prompt', 'aria-label': 'Prompt', placeholder: 'Describe the image', rows: '4', resize: 'vertical' }) as ValueElement;
    prompt.value = form.prompt;
    prompt.addEventListener('input', () => {
      this.set({ prompt: prompt.value });
      this.requestTokens('prompt');
    });
    prompt.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) this.generate();
    });
    const negative = h('vscode-textarea', { 'data-name': 'negativePrompt', 'aria-label': 'Negative prompt', placeholder: 'What to avoid', rows: '2', resize: 'vertical' }) as ValueElement;
    negative.value = form.negativePrompt;
    negative.addEventListener('input', () => {
      this.set({ negativePrompt: negative.value });
      this.requestTokens('negativePrompt');
    });

    const model = select('model', this.models.map((m) => ({ value: m.id, label: m.label, description: m.description })), form.modelId);
    model.addEventListener('change', () => {
      this.set({ modelId: model.value });
      this.requestTokens('prompt');
    });
    const chooseModel = h('vscode-button', { secondary: '', title: 'Choose a model folder' }, ['Choose…']);
    chooseModel.addEventListener('click', () => this.host.post({ type: 'chooseModel' }));

    const sampler = select('sampler', SAMPLER_NAMES.map((s) => ({ value: s, label: SAMPLER_LABELS[s] })), form.sampler);
    sampler.addEventListener('change', () => this.set({ sampler: sampler.value as SamplerName }));
    const steps = field('steps', String(form.steps), { type: 'number', min: '1', max: String(MAX_STEPS) });
    const guidance = field('guidance', String(form.guidanceScale), { type: 'number', min: '0', max: String(MAX_GUIDANCE), step: '0.5' });
    const seedMode = select('seedMode', [{ value: 'random', label: 'Random seed' }, { value: 'fixed', label: 'Fixed seed' }, { value: 'reuse', label: `Reuse last${this.lastSeed !== undefined ? ` (${this.lastSeed})` : ''}` }], form.seedMode);
    const seed = field('seed', String(form.seed), { type: 'number', min: '0' });
    seed.hidden = form.seedMode !== 'fixed';
    seedMode.addEventListener('change', () => {
      this.set({ seedMode: seedMode.value as SeedMode });
      seed.hidden = seedMode.value !== 'fixed';
    });
    const presetValue = SIZE_PRESETS.some(([w, hh]) => w === form.width && hh === form.height) ? `${form.width}x${form.height}` : 'custom';
    const size = select('size', [...SIZE_PRESETS.map(([w, hh]) => ({ value: `${w}x${hh}`, label: `${w} × ${hh}` })), { value: 'custom', label: 'Custom…' }], presetValue);
    const width = field('width', String(form.width), { type: 'number', min: '64', max: String(MAX_SIDE), step: '8' });
    const height = field('height', String(form.height), { type: 'number', min: '64', max: String(MAX_SIDE), step: '8' });
    const custom = h('div', { class: 'row' }, [width, h('span', {}, ['×']), height]);
    custom.hidden = presetValue !== 'custom';
    size.addEventListener('change', () => {
      custom.hidden = size.value !== 'custom';
      const match = /^(\d+)x(\d+)$/.exec(size.value);
      if (match) {
        width.value = match[1];
        height.value = match[2];
        this.set({ width: Number(match[1]), height: Number(match[2]) });
      }
    });
    const batch = field('batch', String(form.batch), { type: 'number', min: '1', max: String(MAX_BATCH) });
    this.numberInputs = { steps, guidance, seed, width, height, batch };
    for (const input of Object.values(this.numberInputs)) input.addEventListener('change', () => this.readNumbers());

    const generate = h('vscode-button', { 'data-name': 'generate', title: 'Generate (Ctrl+Enter in the prompt)' }, ['Generate']);
    generate.addEventListener('click', () => this.generate());
    const cancel = h('vscode-button', { 'data-name': 'cancel', secondary: '', title: 'Stop after the current step' }, ['Cancel']);
    cancel.addEventListener('click', () => this.host.post({ type: 'cancel' }));
    this.controls = { generate, cancel };

    this.formRoot.replaceChildren(
      labelled('Prompt', prompt, this.counters.prompt),
      labelled('Negative prompt', negative, this.counters.negativePrompt),
      labelled('Model', h('div', { class: 'row' }, [model, chooseModel])),
      labelled('Sampler', sampler),
      h('div', { class: 'row two' }, [labelled('Steps', steps), labelled('Guidance', guidance)]),
      labelled('Seed', h('div', { class: 'row' }, [seedMode, seed])),
      labelled('Size', size, custom),
      labelled('Batch count', batch),
      h('div', { class: 'row actions' }, [generate, cancel]),
    );
    this.setBusy(this.busy);
  }

  /** Reads the number fields; shows every problem and returns false when any field is wrong. */
  private readNumbers(): boolean {
    const inputs = this.numberInputs;
    if (!inputs || !this.form) return false;
    const checks = {
      steps: checkNumber({ name: 'Steps', raw: inputs.steps.value, min: 1, max: MAX_STEPS, integer: true }),
      guidanceScale: checkNumber({ name: 'Guidance', raw: inputs.guidance.value, min: 0, max: MAX_GUIDANCE, integer: false }),
      seed: this.form.seedMode === 'fixed' ? checkNumber({ name: 'Seed', raw: inputs.seed.value, min: 0, max: MAX_SEED, integer: true }) : { value: this.form.seed },
      width: checkNumber({ name: 'Width', raw: inputs.width.value, min: 64, max: MAX_SIDE, integer: true, multipleOf: 8 }),
      height: checkNumber({ name: 'Height', raw: inputs.height.value, min: 64, max: MAX_SIDE, integer: true, multipleOf: 8 }),
      batch: checkNumber({ name: 'Batch count', raw: inputs.batch.value, min: 1, max: MAX_BATCH, integer: true }),
    };
    const problems = Object.values(checks).flatMap((c) => ('error' in c ? [c.error] : []));
    this.errors.replaceChildren(...problems.map((p) => h('div', {}, [p])));
    if (problems.length > 0) return false;
    const value = (c: { value: number } | { error: string }): number => ('value' in c ? c.value : 0);
    this.set({ steps: value(checks.steps), guidanceScale: value(checks.guidanceScale), seed: value(checks.seed), width: value(checks.width), height: value(checks.height), batch: value(checks.batch) });
    return true;
  }

  private generate(): void {
    if (this.busy || !this.form || !this.readNumbers()) return;
    if (this.form.prompt.trim() === '') {
      this.errors.replaceChildren(h('div', {}, ['Type a prompt first.']));
      return;
    }
    this.setBusy(true);
    this.status.textContent = '';
    this.progress.textContent = 'Starting…';
    this.host.post({ type: 'generate', form: this.form });
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    if (!this.controls) return;
    this.controls.generate.toggleAttribute('disabled', busy);
    this.controls.cancel.toggleAttribute('disabled', !busy);
  }

  private showPreview(width: number, height: number, rgb: Uint8Array): void {
    const canvas = this.preview;
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const image = ctx.createImageData(width, height);
    for (let i = 0; i < width * height; i++) {
      image.data[4 * i] = rgb[3 * i];
      image.data[4 * i + 1] = rgb[3 * i + 1];
      image.data[4 * i + 2] = rgb[3 * i + 2];
      image.data[4 * i + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
    canvas.hidden = false;
    this.result.hidden = true;
  }

  private renderHistory(items: readonly HistoryItem[]): void {
    if (items.length === 0) {
      this.historyList.replaceChildren(h('li', { class: 'empty' }, ['Images you generate in this workspace appear here.']));
      return;
    }
    const action = (id: string, name: 'open' | 'reuse' | 'canvas' | 'reveal', label: string, title: string): HTMLElement => {
      const b = h('vscode-button', { secondary: '', title, 'data-action': name }, [label]);
      b.addEventListener('click', () => this.host.post({ type: 'historyAction', id, action: name }));
      return b;
    };
    this.historyList.replaceChildren(
      ...items.map((item) => {
        const img = h('img', { 'data-id': item.id, alt: item.fileName, class: 'thumb' });
        const url = this.thumbs.get(item.id);
        if (url) img.src = url;
        img.addEventListener('click', () => this.host.post({ type: 'historyAction', id: item.id, action: 'open' }));
        return h('li', { class: 'history-item', 'data-file': item.fileName }, [
          img,
          h('div', { class: 'meta' }, [
            h('div', { class: 'prompt', title: item.prompt }, [item.prompt || '(no prompt)']),
            h('div', { class: 'details' }, [[item.fileName, item.seed !== undefined ? `seed ${item.seed}` : '', item.size ?? ''].filter(Boolean).join(' · ')]),
            h('div', { class: 'row' }, [action(item.id, 'reuse', 'Reuse', 'Load prompt, seed and settings'), action(item.id, 'canvas', 'Canvas', 'Open in Canvas'), action(item.id, 'reveal', 'Reveal', 'Reveal in Explorer')]),
          ]),
        ]);
      }),
    );
  }
}
