/**
 * Messages between the host and the Atelier side panel (prompt, settings, live preview, history).
 * The panel never names a file: models and history entries are picked by ids the host handed out.
 */
import type { SamplerName } from '../request';

export const PANEL_PROTOCOL_VERSION = 1;

/** Most images one Generate may make (the batch count). */
export const MAX_BATCH = 16;

/** Largest side the panel accepts, in pixels (the pipeline also caps width × height). */
export const MAX_SIDE = 4096;

/** Largest guidance scale the panel accepts (the atelier.guidanceScale setting's maximum). */
export const MAX_GUIDANCE = 100;

export type SeedMode = 'random' | 'fixed' | 'reuse';

/** What the panel's form holds; persisted per workspace by the host. */
export interface PanelForm {
  readonly prompt: string;
  readonly negativePrompt: string;
  /** Id of an entry of `models` ('' = none chosen yet). */
  readonly modelId: string;
  readonly sampler: SamplerName;
  readonly steps: number;
  readonly guidanceScale: number;
  readonly seedMode: SeedMode;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  readonly batch: number;
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
  | { readonly type: 'init'; readonly v: number; readonly form: PanelForm; readonly models: readonly PanelModel[]; readonly lastSeed?: number; readonly busy: boolean }
  /** Token count of the prompt or negative prompt ("42/75"). */
  | { readonly type: 'tokens'; readonly field: 'prompt' | 'negativePrompt'; readonly count: number; readonly max: number }
  /** Replace form fields (Reuse settings). */
  | { readonly type: 'loadForm'; readonly form: Partial<PanelForm> }
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
  /** The form changed (persist it). */
  | { readonly type: 'form'; readonly form: PanelForm }
  | { readonly type: 'tokenize'; readonly field: 'prompt' | 'negativePrompt'; readonly text: string }
  | { readonly type: 'generate'; readonly form: PanelForm }
  | { readonly type: 'cancel' }
  /** An action on a history entry. */
  | { readonly type: 'historyAction'; readonly id: string; readonly action: 'open' | 'reuse' | 'canvas' | 'reveal' }
  | { readonly type: 'refreshHistory' }
  /** Pick a model folder with the host's dialog. */
  | { readonly type: 'chooseModel' };
