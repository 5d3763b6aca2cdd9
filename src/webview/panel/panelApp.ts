/**
 * The side panel webview. Top to bottom: the prompt, Generate/Cancel, progress, the live preview and
 * the result (all visible without scrolling at the default size), then the generation settings
 * (the atelier.* settings, see settingsForm.ts) and the history. Bitmaps arrive as bytes and are
 * shown through blob URLs; text only ever goes in through textContent.
 */
import { PANEL_PROTOCOL_VERSION, type FromPanel, type HistoryItem, type PanelLocal, type SeedMode, type ToPanel } from '../../shared/protocol/panel';
import { h } from '../common/dom';
import type { HostChannel } from '../common/vscodeApi';
import { SettingsForm, type ValueElement } from './settingsForm';

type Init = Extract<ToPanel, { type: 'init' }>;

/** A Blob of PNG bytes (copied: the message's buffer may be shared). */
function pngBlob(png: Uint8Array): Blob {
  return new Blob([new Uint8Array(png)], { type: 'image/png' });
}

export class PanelApp {
  private local: PanelLocal = { prompt: '', batch: 1, reuseSeed: false };
  private lastSeed: number | undefined;
  private busy = false;
  private form: SettingsForm | undefined;
  private tokenTimers: Partial<Record<'prompt' | 'negativePrompt', number>> = {};
  private readonly promptCounter = h('span', { class: 'counter', 'data-name': 'prompt-tokens' });
  private readonly prompt = h('vscode-textarea', { 'data-name': 'prompt', 'aria-label': 'Prompt', placeholder: 'Describe the image (Ctrl+Enter generates)', rows: '3', resize: 'vertical' }) as ValueElement;
  private readonly generateButton = h('vscode-button', { 'data-name': 'generate', title: 'Generate (Ctrl+Enter in the prompt)' }, ['Generate']);
  private readonly cancelButton = h('vscode-button', { 'data-name': 'cancel', secondary: '', title: 'Stop after the current step', disabled: '' }, ['Cancel']);
  private readonly promptError = h('div', { class: 'errors', role: 'alert' });
  private readonly preview = h('canvas', { class: 'preview', width: '64', height: '64', 'aria-label': 'Preview' });
  private readonly result = h('img', { class: 'result', alt: 'Generated image' });
  private readonly frame = h('div', { class: 'frame' }, [this.preview, this.result]);
  private readonly progress = h('div', { class: 'progress', 'data-name': 'progress' });
  private readonly status = h('div', { class: 'status', role: 'status', 'data-name': 'status' });
  private readonly settingsSection = h('vscode-collapsible', { title: 'Generation settings', 'data-name': 'settings', open: '' });
  private readonly historyList = h('ul', { class: 'history', 'aria-label': 'History' });
  private readonly thumbs = new Map<string, string>();

  constructor(private readonly host: HostChannel<FromPanel, Record<string, never>>, root: HTMLElement) {
    this.prompt.addEventListener('input', () => {
      this.setLocal({ prompt: this.prompt.value });
      this.requestTokens('prompt');
    });
    this.prompt.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) this.generate();
    });
    this.generateButton.addEventListener('click', () => this.generate());
    this.cancelButton.addEventListener('click', () => this.host.post({ type: 'cancel' }));
    this.result.hidden = true;
    this.preview.hidden = true;
    this.frame.hidden = true;
    root.append(
      h('div', { class: 'panel' }, [
        h('div', { class: 'field' }, [h('vscode-label', {}, ['Prompt']), this.prompt, this.promptCounter]),
        h('div', { class: 'row actions' }, [this.generateButton, this.cancelButton]),
        this.promptError,
        this.progress,
        h('section', { class: 'output' }, [this.frame, this.status]),
        this.settingsSection,
        h('section', {}, [h('h3', {}, ['History']), this.historyList]),
      ]),
    );
    window.addEventListener('message', (event: MessageEvent<ToPanel>) => this.receive(event.data));
    host.post({ type: 'ready', v: PANEL_PROTOCOL_VERSION });
  }

  private receive(message: ToPanel): void {
    switch (message.type) {
      case 'init':
        return this.init(message);
      case 'settings':
        this.form?.show(message.settings, message.modelId);
        return;
      case 'tokens': {
        const counter = message.field === 'prompt' ? this.promptCounter : this.form?.negativeCounter;
        if (!counter) return;
        counter.textContent = `${message.count}/${message.max}`;
        counter.title =
          message.chunks > 1
            ? `CLIP tokens used, encoded as ${message.chunks} chunks of 75 (BREAK or every 75 tokens starts a new chunk)`
            : 'CLIP tokens used (past 75, the prompt continues in a new chunk of 75)';
        return;
      }
      case 'loadPrompt':
        this.prompt.value = message.prompt;
        this.local = { ...this.local, prompt: message.prompt, reuseSeed: false };
        this.requestTokens('prompt');
        this.status.textContent = 'Prompt and settings loaded from the image.';
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
        this.frame.hidden = false;
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
    this.local = message.local;
    this.lastSeed = message.lastSeed;
    this.prompt.value = message.local.prompt;
    const seedMode: SeedMode = message.local.reuseSeed ? 'reuse' : message.settings.seed >= 0 ? 'fixed' : 'random';
    this.form = new SettingsForm(message.settings, message.models, message.modelId, seedMode, message.local.batch, {
      setSettings: (patch) => this.host.post({ type: 'setSettings', settings: patch }),
      selectModel: (id) => this.host.post({ type: 'selectModel', id }),
      chooseModel: () => this.host.post({ type: 'chooseModel' }),
      openSettings: () => this.host.post({ type: 'openSettings' }),
      seedMode: (mode) => this.seedModeChanged(mode),
      batch: (batch) => this.setLocal({ batch }),
      negativeTyped: () => this.requestTokens('negativePrompt'),
    });
    this.settingsSection.replaceChildren(this.form.root);
    this.setBusy(message.busy);
    this.requestTokens('prompt');
    this.requestTokens('negativePrompt');
    // Typing before this would be overwritten by the stored prompt above: the e2e harness waits for it.
    document.body.dataset.initialised = 'true';
  }

  private seedModeChanged(mode: SeedMode): void {
    this.setLocal({ reuseSeed: mode === 'reuse' });
    if (mode === 'random') this.host.post({ type: 'setSettings', settings: { seed: -1 } });
    if (mode === 'fixed') {
      // A fixed seed starts from the last one used (or 0), so the field is never empty.
      this.form?.fillSeed(this.lastSeed ?? 0);
      const seed = this.form?.current()?.settings.seed;
      if (seed !== undefined && seed >= 0) this.host.post({ type: 'setSettings', settings: { seed } });
    }
  }

  private setLocal(patch: Partial<PanelLocal>): void {
    this.local = { ...this.local, ...patch };
    this.host.post({ type: 'local', local: this.local });
  }

  private requestTokens(fieldName: 'prompt' | 'negativePrompt'): void {
    clearTimeout(this.tokenTimers[fieldName]);
    this.tokenTimers[fieldName] = window.setTimeout(() => {
      const text = fieldName === 'prompt' ? this.prompt.value : (this.form?.current()?.settings.negativePrompt ?? '');
      this.host.post({ type: 'tokenize', field: fieldName, text });
    }, 150);
  }

  private generate(): void {
    if (this.busy || !this.form) return;
    const values = this.form.current();
    if (!values) {
      this.settingsSection.setAttribute('open', '');
      return;
    }
    if (this.prompt.value.trim() === '') {
      this.promptError.replaceChildren(h('div', {}, ['Type a prompt first.']));
      return;
    }
    this.promptError.replaceChildren();
    this.setBusy(true);
    this.status.textContent = '';
    this.status.dataset.level = 'info';
    this.progress.textContent = 'Starting…';
    this.local = { ...this.local, prompt: this.prompt.value, batch: values.batch };
    this.host.post({ type: 'generate', settings: values.settings, local: this.local });
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.generateButton.toggleAttribute('disabled', busy);
    this.cancelButton.toggleAttribute('disabled', !busy);
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
    this.frame.hidden = false;
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
            h('div', { class: 'details', title: item.fileName }, [[item.fileName, item.seed !== undefined ? `seed ${item.seed}` : '', item.size ?? ''].filter(Boolean).join(' · ')]),
            h('div', { class: 'row' }, [action(item.id, 'reuse', 'Reuse', 'Load prompt, seed and settings'), action(item.id, 'canvas', 'Canvas', 'Open in Canvas'), action(item.id, 'reveal', 'Reveal', 'Reveal in Explorer')]),
          ]),
        ]);
      }),
    );
  }
}
