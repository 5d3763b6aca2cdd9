/** Typed access to the `atelier.*` settings, honouring Workspace Trust for restricted keys. */
import { randomInt } from 'node:crypto';
import * as vscode from 'vscode';
import { EXECUTION_PROVIDERS, SAMPLER_NAMES, type ExecutionProviderPreference, type SamplerName, type SamplingOptions, type Txt2ImgRequest } from '../../shared/request';

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
  readonly previewEvery: number;
  /** Folders holding separate ControlNets (each a ControlNet, or a folder of them). */
  readonly controlNetFolders: readonly string[];
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
    previewEvery: c.get<number>('previewEvery', 5),
    controlNetFolders: userOnlyList('controlNetFolders'),
  };
}

/** Sampling options from the settings; a seed of −1 becomes a new random seed. */
export function samplingFromSettings(settings: AtelierSettings): SamplingOptions {
  return { sampler: settings.sampler, steps: settings.steps, guidanceScale: settings.guidanceScale, seed: settings.seed >= 0 ? settings.seed : randomInt(0, 2 ** 32) };
}

export async function setModelPath(dir: string): Promise<void> {
  await vscode.workspace.getConfiguration('atelier').update('modelPath', dir, vscode.ConfigurationTarget.Global);
}

/** The request fields every generation from the host shares, filled from the settings. */
export function requestBase(settings: AtelierSettings, modelDir: string, prompt: string, previewEvery = 0): Pick<Txt2ImgRequest, 'modelDir' | 'prompt' | 'negativePrompt' | 'sampling' | 'previewEvery' | 'executionProvider'> {
  return { modelDir, prompt, negativePrompt: settings.negativePrompt, sampling: samplingFromSettings(settings), previewEvery, executionProvider: settings.executionProvider };
}

/** Adds a ControlNet folder to the user's atelier.controlNetFolders (a downloaded catalogue ControlNet). */
export async function addControlNetFolder(dir: string): Promise<void> {
  const config = vscode.workspace.getConfiguration('atelier');
  const current = config.inspect<string[]>('controlNetFolders')?.globalValue ?? [];
  if (!current.includes(dir)) await config.update('controlNetFolders', [...current, dir], vscode.ConfigurationTarget.Global);
}
