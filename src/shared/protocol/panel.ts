/**
 * Messages between the host and the Atelier side panel (prompt, settings, live preview, history).
 * The panel never names a file: models and history entries are picked by ids the host handed out.
 * The generation values it shows are the atelier.* settings, the ones "Generate Image" and the canvas
 * use: the panel edits them, it keeps no copy of its own.
 */
import type { SamplerName } from '../request';

export const PANEL_PROTOCOL_VERSION = 2;

/** Most images one Generate may make (the batch count). */
export const MAX_BATCH = 16;

/** Largest side the panel accepts, in pixels (the pipeline also caps width × height). */
export const MAX_SIDE = 4096;

/** Largest guidance scale the panel accepts (the atelier.guidanceScale setting's maximum). */
export const MAX_GUIDANCE = 100;

export type SeedMode = 'random' | 'fixed' | 'reuse';

/** The generation settings shown in the panel: the values of the atelier.* settings of the same names. */
export interface PanelSettings {
  readonly negativePrompt: string;
  readonly sampler: SamplerName;
  readonly steps: number;
  readonly guidanceScale: number;
  /** −1: a new random seed each time. */
  readonly seed: number;
  readonly width: number;
  readonly height: number;
}

/** What only the panel keeps, per workspace. */
export interface PanelLocal {
  readonly prompt: string;
  readonly batch: number;
  /** "Reuse last seed" instead of the seed setting. */
  readonly reuseSeed: boolean;
}

export interface PanelModel {
  readonly id: string;
  readonly label: string;
  /** Family and origin, e.g. "SD 1.x · settings" or "demo". */
  readonly description: string;
}

export interface HistoryItem {
  readonly id: string;
  readonly fileName: string;
  /** Workspace-relative folder. */
  readonly folder: string;
  readonly prompt: string;
  readonly seed?: number;
  readonly size?: string;
  readonly modifiedMs: number;
}

/** Host → panel. */
export type ToPanel =
  /** Everything the panel shows, after `ready` and when models change. */
  | {
      readonly type: 'init';
      readonly v: number;
      readonly settings: PanelSettings;
      readonly local: PanelLocal;
      readonly models: readonly PanelModel[];
      /** The model atelier.modelPath names ('' when none is set: Generate then asks, as the palette does). */
      readonly modelId: string;
      readonly lastSeed?: number;
      readonly busy: boolean;
    }
  /** The settings changed (in the panel, the palette's settings, or settings.json): show the new values. */
  | { readonly type: 'settings'; readonly settings: PanelSettings; readonly modelId: string }
  /** Token count of the prompt or negative prompt ("42/75"). */
  /** "82/150": A1111's token count over the capacity of its 75-token chunks. */
  | { readonly type: 'tokens'; readonly field: 'prompt' | 'negativePrompt'; readonly count: number; readonly max: number; readonly chunks: number }
  /** Put a stored image's prompt into the panel (Reuse; its settings are written to the settings by the host). */
  | { readonly type: 'loadPrompt'; readonly prompt: string }
  /** A generation started, progressed or ended. */
  | { readonly type: 'progress'; readonly message: string; readonly step: number; readonly totalSteps: number; readonly elapsedMs: number; readonly image: number; readonly images: number }
  /** A latent preview, RGB u8 at latent resolution. */
  | { readonly type: 'preview'; readonly width: number; readonly height: number; readonly rgb: Uint8Array }
  /** A finished image (PNG bytes) that replaces the preview. */
  | { readonly type: 'result'; readonly png: Uint8Array; readonly fileName: string; readonly seed: number }
  | { readonly type: 'done'; readonly message: string; readonly level: 'info' | 'warning' | 'error' }
  /** The history list (without thumbnails; they follow one by one). */
  | { readonly type: 'history'; readonly items: readonly HistoryItem[] }
  | { readonly type: 'thumbnail'; readonly id: string; readonly png: Uint8Array };

/** Panel → host. */
export type FromPanel =
  | { readonly type: 'ready'; readonly v: number }
  /** Settings the user changed in the panel; the host writes them to the atelier.* settings. */
  | { readonly type: 'setSettings'; readonly settings: Partial<PanelSettings> }
  /** The panel's own values changed (persist them). */
  | { readonly type: 'local'; readonly local: PanelLocal }
  /** The user picked a model in the panel: it becomes atelier.modelPath. */
  | { readonly type: 'selectModel'; readonly id: string }
  | { readonly type: 'tokenize'; readonly field: 'prompt' | 'negativePrompt'; readonly text: string }
  /** Generate with these values (the settings shown, written first if they differ). */
  | { readonly type: 'generate'; readonly settings: PanelSettings; readonly local: PanelLocal }
  | { readonly type: 'cancel' }
  /** An action on a history entry. */
  | { readonly type: 'historyAction'; readonly id: string; readonly action: 'open' | 'reuse' | 'canvas' | 'reveal' }
  | { readonly type: 'refreshHistory' }
  /** Pick a model folder with the host's dialog. */
  | { readonly type: 'chooseModel' }
  /** Open VS Code's settings at the atelier.* settings. */
  | { readonly type: 'openSettings' };
