/** Validation of panel → host messages. */
import { MAX_BATCH, MAX_GUIDANCE, MAX_SIDE, PANEL_PROTOCOL_VERSION, type FromPanel, type PanelForm } from '../../shared/protocol/panel';
import { MAX_PROMPT_CHARS, MAX_SEED, MAX_STEPS, SAMPLER_NAMES } from '../../shared/request';
import { finite, integer, InvalidMessage, oneOf, record, text } from '../webview/validate';

export function parseForm(value: unknown): PanelForm {
  const f = record(value, 'form');
  return {
    prompt: text(f.prompt, 'prompt', MAX_PROMPT_CHARS),
    negativePrompt: text(f.negativePrompt, 'negativePrompt', MAX_PROMPT_CHARS),
    modelId: text(f.modelId, 'modelId', 16),
    sampler: oneOf(f.sampler, SAMPLER_NAMES, 'sampler'),
    steps: integer(f.steps, 'steps', 1, MAX_STEPS),
    guidanceScale: finite(f.guidanceScale, 'guidanceScale', 0, MAX_GUIDANCE),
    seedMode: oneOf(f.seedMode, ['random', 'fixed', 'reuse'] as const, 'seedMode'),
    seed: integer(f.seed, 'seed', 0, MAX_SEED),
    // Multiples of 8 are checked by the pipeline, which suggests the nearest valid sizes.
    width: integer(f.width, 'width', 64, MAX_SIDE),
    height: integer(f.height, 'height', 64, MAX_SIDE),
    batch: integer(f.batch, 'batch', 1, MAX_BATCH),
  };
}

export function parseFromPanel(message: unknown): FromPanel {
  const m = record(message, 'message');
  switch (m.type) {
    case 'ready':
      if (m.v !== PANEL_PROTOCOL_VERSION) throw new InvalidMessage(`panel protocol v${String(m.v)}; this host speaks v${PANEL_PROTOCOL_VERSION}`);
      return { type: 'ready', v: PANEL_PROTOCOL_VERSION };
    case 'form':
    case 'generate':
      return { type: m.type, form: parseForm(m.form) };
    case 'tokenize':
      return { type: 'tokenize', field: oneOf(m.field, ['prompt', 'negativePrompt'] as const, 'field'), text: text(m.text, 'text', MAX_PROMPT_CHARS) };
    case 'cancel':
    case 'refreshHistory':
    case 'chooseModel':
      return { type: m.type };
    case 'historyAction':
      return { type: 'historyAction', id: text(m.id, 'id', 32), action: oneOf(m.action, ['open', 'reuse', 'canvas', 'reveal'] as const, 'action') };
    default:
      throw new InvalidMessage(`unknown message type ${JSON.stringify(m.type)}`);
  }
}
