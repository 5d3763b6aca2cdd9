/** Validation of panel → host messages. */
import { MAX_BATCH, MAX_GUIDANCE, MAX_SIDE, PANEL_PROTOCOL_VERSION, type FromPanel, type PanelLocal, type PanelSettings } from '../../shared/protocol/panel';
import { MAX_PROMPT_CHARS, MAX_SEED, MAX_STEPS, SAMPLER_NAMES } from '../../shared/request';
import { bool, finite, integer, InvalidMessage, oneOf, record, text, type Fields } from '../messages/validate';

/** Per-field checks of the settings the panel may write (the same bounds as the settings' schema). */
const SETTING_CHECKS: { readonly [K in keyof PanelSettings]: (value: unknown) => PanelSettings[K] } = {
  negativePrompt: (v) => text(v, 'negativePrompt', MAX_PROMPT_CHARS),
  sampler: (v) => oneOf(v, SAMPLER_NAMES, 'sampler'),
  steps: (v) => integer(v, 'steps', 1, MAX_STEPS),
  guidanceScale: (v) => finite(v, 'guidanceScale', 0, MAX_GUIDANCE),
  seed: (v) => integer(v, 'seed', -1, MAX_SEED),
  // Multiples of 8 are checked by the webview and the pipeline, which suggest the nearest valid sizes.
  width: (v) => integer(v, 'width', 64, MAX_SIDE),
  height: (v) => integer(v, 'height', 64, MAX_SIDE),
};

const SETTING_KEYS = Object.keys(SETTING_CHECKS) as (keyof PanelSettings)[];

function parsePartialSettings(value: unknown): Partial<PanelSettings> {
  const s = record(value, 'settings');
  const unknown = Object.keys(s).filter((k) => !(SETTING_KEYS as string[]).includes(k));
  if (unknown.length > 0) throw new InvalidMessage(`settings has unknown fields: ${unknown.join(', ')}`);
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) if (s[key] !== undefined) out[key] = SETTING_CHECKS[key](s[key]);
  return out as Partial<PanelSettings>;
}

export function parseSettings(value: unknown): PanelSettings {
  const s: Fields = record(value, 'settings');
  const missing = SETTING_KEYS.filter((k) => s[k] === undefined);
  if (missing.length > 0) throw new InvalidMessage(`settings lacks ${missing.join(', ')}`);
  return parsePartialSettings(s) as PanelSettings;
}

export function parseLocal(value: unknown): PanelLocal {
  const l = record(value, 'local');
  return { prompt: text(l.prompt, 'prompt', MAX_PROMPT_CHARS), batch: integer(l.batch, 'batch', 1, MAX_BATCH), reuseSeed: bool(l.reuseSeed, 'reuseSeed') };
}

export function parseFromPanel(message: unknown): FromPanel {
  const m = record(message, 'message');
  switch (m.type) {
    case 'ready':
      if (m.v !== PANEL_PROTOCOL_VERSION) throw new InvalidMessage(`panel protocol v${String(m.v)}; this host speaks v${PANEL_PROTOCOL_VERSION}`);
      return { type: 'ready', v: PANEL_PROTOCOL_VERSION };
    case 'setSettings':
      return { type: 'setSettings', settings: parsePartialSettings(m.settings) };
    case 'local':
      return { type: 'local', local: parseLocal(m.local) };
    case 'selectModel':
      return { type: 'selectModel', id: text(m.id, 'id', 16) };
    case 'generate':
      return { type: 'generate', settings: parseSettings(m.settings), local: parseLocal(m.local) };
    case 'tokenize':
      return { type: 'tokenize', field: oneOf(m.field, ['prompt', 'negativePrompt'] as const, 'field'), text: text(m.text, 'text', MAX_PROMPT_CHARS) };
    case 'cancel':
    case 'refreshHistory':
    case 'chooseModel':
    case 'openSettings':
      return { type: m.type };
    case 'historyAction':
      return { type: 'historyAction', id: text(m.id, 'id', 32), action: oneOf(m.action, ['open', 'reuse', 'canvas', 'reveal'] as const, 'action') };
    default:
      throw new InvalidMessage(`unknown message type ${JSON.stringify(m.type)}`);
  }
}
