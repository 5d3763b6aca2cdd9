/** The curated model catalogue (assets/catalogue.json), validated on load. */
import { licenceProblem } from '../../shared/licences';
import type { ExecutionProviderName } from '../../shared/request';
import { parseRepoRef } from './hub/repoId';
import { PIPELINE_FOLDERS, type Selection } from './hub/selectFiles';
import { FILE_KINDS, readBoundedSync } from '../../shared/files/boundedRead';

export interface CatalogueEntry {
  readonly id: string;
  readonly name: string;
  readonly repo: string;
  readonly revision: string;
  readonly kind: 'pipeline' | 'controlnet';
  readonly family: string;
  readonly precision: 'fp32' | 'fp16';
  readonly sizeBytes: number;
  readonly providers: readonly ExecutionProviderName[];
  readonly licence: string;
  readonly folders?: readonly string[];
  readonly subfolder?: string;
  readonly controlType?: string;
  /** A pipeline with `controlnet/`: the UNet that takes separate ControlNets' residuals (layout c). */
  readonly controlNetUnet: boolean;
  /** A ControlNet: the id of the catalogue pipeline it runs with (one with `controlNetUnet`). */
  readonly base?: string;
  /** The first-run recommendation for CPU-only or GPU machines. */
  readonly recommendedFor: 'cpu' | 'gpu' | null;
  readonly defaults?: { readonly steps: number; readonly guidanceScale: number; readonly width: number; readonly height: number };
  readonly verified: boolean;
  readonly notes: string;
}

const PROVIDERS: readonly string[] = ['cpu', 'cuda', 'dml', 'coreml', 'webgpu'];

function fail(index: number, message: string): never {
  throw new Error(`catalogue entry ${index}: ${message}`);
}

export function parseCatalogue(json: unknown): CatalogueEntry[] {
  const models = (json as { models?: unknown }).models;
  if (!Array.isArray(models)) throw new Error('catalogue: "models" must be a list');
  const ids = new Set<string>();
  const entries = models.map((raw: Record<string, unknown>, i): CatalogueEntry => {
    const str = (key: string): string => (typeof raw[key] === 'string' && (raw[key] as string).length > 0 ? (raw[key] as string) : fail(i, `${key} must be a non-empty string`));
    const id = str('id');
    if (ids.has(id)) fail(i, `duplicate id ${id}`);
    ids.add(id);
    const ref = parseRepoRef(`${str('repo')}@${str('revision')}`);
    const kind = raw.kind === 'pipeline' || raw.kind === 'controlnet' ? raw.kind : fail(i, 'kind must be "pipeline" or "controlnet"');
    const precision = raw.precision === 'fp32' || raw.precision === 'fp16' ? raw.precision : fail(i, 'precision must be "fp32" or "fp16"');
    const providers = Array.isArray(raw.providers) && raw.providers.every((p) => PROVIDERS.includes(p as string)) ? (raw.providers as ExecutionProviderName[]) : fail(i, `providers must list some of ${PROVIDERS.join(', ')}`);
    const folders = raw.folders === undefined ? undefined : Array.isArray(raw.folders) && raw.folders.every((f) => (PIPELINE_FOLDERS as readonly string[]).includes(f as string)) ? (raw.folders as string[]) : fail(i, `folders must be among ${PIPELINE_FOLDERS.join(', ')}`);
    if (kind === 'pipeline' && !folders) fail(i, 'a pipeline entry lists its folders');
    const sizeBytes = typeof raw.sizeBytes === 'number' && raw.sizeBytes > 0 ? raw.sizeBytes : fail(i, 'sizeBytes must be a positive number');
    const recommendedFor = raw.recommendedFor === 'cpu' || raw.recommendedFor === 'gpu' || raw.recommendedFor === null ? raw.recommendedFor : fail(i, 'recommendedFor must be "cpu", "gpu" or null');
    const subfolder = raw.subfolder === undefined ? undefined : str('subfolder');
    if (subfolder && subfolder.split('/').some((s) => s === '..' || s === '')) fail(i, 'subfolder must be a plain relative path');
    const controlNetUnet = raw.controlNetUnet === true;
    if (controlNetUnet && (kind !== 'pipeline' || !folders?.includes('controlnet'))) fail(i, 'controlNetUnet is for a pipeline whose folders include controlnet');
    const base = raw.base === undefined ? undefined : str('base');
    if (base !== undefined && kind !== 'controlnet') fail(i, 'base is for a ControlNet entry');
    return {
      id,
      name: str('name'),
      repo: ref.repo,
      revision: ref.revision,
      kind,
      family: str('family'),
      precision,
      sizeBytes,
      providers,
      licence: str('licence'),
      folders,
      subfolder,
      controlType: typeof raw.controlType === 'string' ? raw.controlType : undefined,
      controlNetUnet,
      base,
      recommendedFor,
      defaults: raw.defaults as CatalogueEntry['defaults'],
      verified: raw.verified === true,
      notes: typeof raw.notes === 'string' ? raw.notes : '',
    };
  });
  // A ControlNet's base is a pipeline of this catalogue that can run it.
  entries.forEach((entry, i) => {
    if (entry.base === undefined) return;
    const base = entries.find((e) => e.id === entry.base);
    if (!base?.controlNetUnet) fail(i, `base ${entry.base} must be a pipeline entry with controlNetUnet`);
  });
  return entries;
}

/** A model that ships with Atelier (converted at build time), with its provenance. */
export interface BuiltinModel {
  readonly id: string;
  readonly name: string;
  readonly purpose: 'upscale' | 'pose' | 'segmentation';
  readonly package: string;
  readonly version: string;
  readonly licence: string;
  /** The trained weights' own licence, when a third-party package republishes them. */
  readonly modelLicence?: string;
  /** Who trained the weights, when a third-party package republishes them. */
  readonly origin?: string;
  readonly copyright: string;
  readonly source: string;
  /** Set when the licence restricts use; the reason is shown wherever the model is offered. */
  readonly flagged?: string;
  readonly notes: string;
}

export function parseBuiltinModels(json: unknown): BuiltinModel[] {
  const list = (json as { builtin?: unknown }).builtin;
  if (!Array.isArray(list)) throw new Error('catalogue: "builtin" must be a list');
  return list.map((raw: Record<string, unknown>, i) => {
    const str = (key: string): string => (typeof raw[key] === 'string' && (raw[key] as string).length > 0 ? (raw[key] as string) : fail(i, `builtin ${key} must be a non-empty string`));
    const purpose = raw.purpose === 'upscale' || raw.purpose === 'pose' || raw.purpose === 'segmentation' ? raw.purpose : fail(i, 'builtin purpose must be upscale, pose or segmentation');
    const flagged = typeof raw.flagged === 'string' ? raw.flagged : undefined;
    const modelLicence = typeof raw.modelLicence === 'string' ? raw.modelLicence : undefined;
    for (const licence of [str('licence'), modelLicence].filter((l): l is string => l !== undefined)) {
      const problem = licenceProblem(licence, flagged);
      if (problem) fail(i, `${str('id')}: ${problem}`);
    }
    const origin = typeof raw.origin === 'string' ? raw.origin : undefined;
    return { id: str('id'), name: str('name'), purpose, package: str('package'), version: str('version'), licence: str('licence'), modelLicence, origin, copyright: str('copyright'), source: str('source'), flagged, notes: typeof raw.notes === 'string' ? raw.notes : '' };
  });
}

export function loadCatalogue(file: string): CatalogueEntry[] {
  return parseCatalogue(JSON.parse(readBoundedSync(file, FILE_KINDS.modelConfig).toString('utf8')));
}

export function selectionFor(entry: CatalogueEntry): Selection {
  return entry.kind === 'controlnet' ? { subfolder: entry.subfolder, singleGraph: true } : { subfolder: entry.subfolder, folders: entry.folders };
}

/** The execution providers this kind of machine can offer (CPU always; the GPU ones where they exist). */
export function machineProviders(platform: NodeJS.Platform, arch: string, hasCuda: boolean): ExecutionProviderName[] {
  return ['cpu', ...(platform === 'win32' ? (['dml'] as const) : []), ...(platform === 'darwin' && arch === 'arm64' ? (['coreml'] as const) : []), ...(hasCuda ? (['cuda'] as const) : [])];
}

export function runsOn(entry: CatalogueEntry, providers: readonly ExecutionProviderName[]): boolean {
  return entry.providers.some((p) => providers.includes(p));
}

/** The catalogue's ControlNets for a control type (all of them when no type is given). */
export function controlNetsFor(catalogue: readonly CatalogueEntry[], type: string | undefined): CatalogueEntry[] {
  return catalogue.filter((e) => e.kind === 'controlnet' && (type === undefined || e.controlType === type));
}

/** The catalogue's pipelines with a ControlNet UNet (the bases separate ControlNets run with). */
export function controlNetBases(catalogue: readonly CatalogueEntry[]): CatalogueEntry[] {
  return catalogue.filter((e) => e.kind === 'pipeline' && e.controlNetUnet);
}

export type CatalogueOffer =
  /** The catalogue has nothing of the kind. */
  | { readonly kind: 'none' }
  /** It has some, but none runs on this machine's providers. */
  | { readonly kind: 'notHere'; readonly entries: readonly CatalogueEntry[] }
  | { readonly kind: 'offer'; readonly entries: readonly CatalogueEntry[] };

/** What to offer from `entries` on a machine with these providers. */
export function offerFor(entries: readonly CatalogueEntry[], providers: readonly ExecutionProviderName[]): CatalogueOffer {
  if (entries.length === 0) return { kind: 'none' };
  const runnable = entries.filter((e) => runsOn(e, providers));
  return runnable.length > 0 ? { kind: 'offer', entries: runnable } : { kind: 'notHere', entries };
}

/** The first-run suggestion: a GPU build where a GPU provider is present, else the CPU pick. */
export function recommendedModel(catalogue: readonly CatalogueEntry[], hasGpu: boolean): CatalogueEntry | undefined {
  const pipelines = catalogue.filter((e) => e.kind === 'pipeline');
  return (hasGpu ? pipelines.find((e) => e.recommendedFor === 'gpu') : undefined) ?? pipelines.find((e) => e.recommendedFor === 'cpu');
}
