/** Typed access to the `atelier.*` settings, honouring Workspace Trust for restricted keys. */
import path from 'node:path';
import * as vscode from 'vscode';
import type { JobSettings } from '../../host/jobs/buildJob';
import { resolveModelSetting, type ConfiguredModel } from '../../host/models/modelSetting';
import { MODEL_DEFAULTABLE, userSetSetting, type ModelDefaultable } from '../../shared/samplingDefaults';
import { EXECUTION_PROVIDERS, SAMPLER_NAMES, WORKING_RESOLUTIONS, type ExecutionProviderPreference, type SamplerName, type WorkingResolution } from '../../shared/request';

export interface AtelierSettings {
  readonly modelPath: string;
  readonly outputFolder: string;
  readonly negativePrompt: string;
  readonly steps: number;
  readonly guidanceScale: number;
  readonly width: number;
  readonly height: number;
  readonly sampler: SamplerName;
  /** −1 means a new random seed each time. */
  readonly seed: number;
  readonly executionProvider: ExecutionProviderPreference;
  readonly writeMetadata: boolean;
  /** Write `<name>.atelier.json` beside each saved image. */
  readonly writeRecipes: boolean;
  readonly previewEvery: number;
  /** Folders holding separate ControlNets (each a ControlNet, or a folder of them). */
  readonly controlNetFolders: readonly string[];
  /** The size images are generated at when starting from an image (see WORKING_RESOLUTIONS). */
  readonly workingResolution: WorkingResolution;
  /** Sampler, steps and guidance the user has not set: a Turbo or LCM model runs its own defaults for them. */
  readonly modelDefaults: readonly ModelDefaultable[];
}

function pick<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

export function readSettings(): AtelierSettings {
  const c = vscode.workspace.getConfiguration('atelier');
  // In Restricted Mode only user-level values count for settings that point at paths.
  const trusted = vscode.workspace.isTrusted;
  const userOnly = (key: string): string => {
    const inspected = c.inspect<string>(key);
    return (trusted ? c.get<string>(key) : (inspected?.globalValue ?? inspected?.defaultValue)) ?? '';
  };
  const userOnlyList = (key: string): string[] => {
    const inspected = c.inspect<unknown>(key);
    const value = trusted ? c.get<unknown>(key) : (inspected?.globalValue ?? inspected?.defaultValue);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.trim() !== '') : [];
  };
  return {
    modelPath: c.get<string>('modelPath', ''),
    outputFolder: userOnly('outputFolder'),
    negativePrompt: c.get<string>('negativePrompt', ''),
    steps: c.get<number>('steps', 20),
    guidanceScale: c.get<number>('guidanceScale', 7.5),
    width: c.get<number>('width', 512),
    height: c.get<number>('height', 512),
    sampler: pick(c.get('sampler'), SAMPLER_NAMES, 'model-default'),
    seed: c.get<number>('seed', -1),
    executionProvider: pick(c.get('executionProvider'), EXECUTION_PROVIDERS, 'auto'),
    writeMetadata: c.get<boolean>('writeMetadata', true),
    writeRecipes: c.get<boolean>('writeRecipes', true),
    previewEvery: c.get<number>('previewEvery', 5),
    controlNetFolders: userOnlyList('controlNetFolders'),
    workingResolution: pick(c.get('workingResolution'), WORKING_RESOLUTIONS, 'model'),
    modelDefaults: MODEL_DEFAULTABLE.filter((key) => !userSetSetting(c.inspect(key))),
  };
}

/** What the job builder reads from the settings (the seed still −1 when random: the builder draws it). */
export function jobSettings(settings: AtelierSettings): JobSettings {
  const { negativePrompt, sampler, steps, guidanceScale, seed, width, height, executionProvider, workingResolution } = settings;
  return { negativePrompt, sampler, steps, guidanceScale, seed, width, height, executionProvider, workingResolution, controlNetRoots: settings.controlNetFolders, modelDefaults: settings.modelDefaults };
}

/** Stores `atelier.modelPath`: a folder, or the built-in demo marker. */
export async function setModelPath(value: string): Promise<void> {
  await vscode.workspace.getConfiguration('atelier').update('modelPath', value, vscode.ConfigurationTarget.Global);
}

/** The built-in demo model of this install. */
export function demoModelDir(extensionPath: string): string {
  return path.join(extensionPath, 'dist', 'demo-model');
}

/** The folder `atelier.modelPath` means (the demo marker resolved for this install), or undefined when unset. */
export function configuredModel(context: vscode.ExtensionContext): ConfiguredModel | undefined {
  return resolveModelSetting(readSettings().modelPath, demoModelDir(context.extensionPath), context.extension.id);
}

/** The Hub download timeouts from atelier.network.* (seconds in settings, milliseconds here). */
export function networkTimeouts(): { connectMs: number; idleMs: number } {
  const c = vscode.workspace.getConfiguration('atelier.network');
  const ms = (key: string, fallback: number): number => {
    const value = c.get<number>(key, fallback);
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value * 1000) : fallback * 1000;
  };
  return { connectMs: ms('connectTimeout', 30), idleMs: ms('idleTimeout', 60) };
}

/** Adds a ControlNet folder to the user's atelier.controlNetFolders (a downloaded catalogue ControlNet). */
export async function addControlNetFolder(dir: string): Promise<void> {
  const config = vscode.workspace.getConfiguration('atelier');
  const current = config.inspect<string[]>('controlNetFolders')?.globalValue ?? [];
  if (!current.includes(dir)) await config.update('controlNetFolders', [...current, dir], vscode.ConfigurationTarget.Global);
}

/** The generation settings the side panel shows and edits (the values "Generate Image" and the canvas use). */
export const GENERATION_SETTING_KEYS = ['negativePrompt', 'sampler', 'steps', 'guidanceScale', 'seed', 'width', 'height'] as const;
export type GenerationSettingKey = (typeof GENERATION_SETTING_KEYS)[number];

/**
 * Writes the changed generation settings where they are defined: the workspace when it sets them,
 * else the user settings. Values equal to the current ones are not written.
 */
export async function updateGenerationSettings(patch: Partial<Pick<AtelierSettings, GenerationSettingKey>>): Promise<string[]> {
  const config = vscode.workspace.getConfiguration('atelier');
  const current = readSettings();
  const written: string[] = [];
  for (const key of GENERATION_SETTING_KEYS) {
    const value = patch[key];
    if (value === undefined || value === current[key]) continue;
    const inspected = config.inspect(key);
    const target = inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await config.update(key, value, target);
    written.push(key);
  }
  return written;
}
