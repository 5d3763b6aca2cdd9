/**
 * What a server is and offers: `GET /api/system_stats` (version, device, VRAM) and
 * `GET /api/object_info/<node>` for the core nodes Atelier uses (model lists, samplers, schedulers).
 * Asking per node keeps the answer small: a server with many custom nodes has a /object_info of
 * tens of MB. A server without the `/api` routes (before June 2024) is too old; one whose answers
 * are not ComfyUI's is named as such.
 */
import { PipelineError } from '../../shared/errors';
import { serverLabel, type ComfyConnection } from './connection';
import { comfyRequest, parseJson, statusError } from './http';

export interface ComfyDevice {
  readonly name: string;
  /** torch device type: cuda, mps, xpu, cpu, … */
  readonly type: string;
  readonly vramTotal?: number;
  readonly vramFree?: number;
}

export interface ComfyServerInfo {
  /** e.g. "0.3.64"; undefined before ComfyUI reported it (Aug 2024). */
  readonly version?: string;
  readonly devices: readonly ComfyDevice[];
  readonly checkpoints: readonly string[];
  readonly controlNets: readonly string[];
  readonly loras: readonly string[];
  readonly upscaleModels: readonly string[];
  readonly samplers: readonly string[];
  readonly schedulers: readonly string[];
  /** The core nodes Atelier uses that this server has. */
  readonly nodes: ReadonlySet<string>;
}

/** Every core node a job may use; CheckpointLoaderSimple and KSampler are required to connect at all. */
export const CORE_NODES = [
  'CheckpointLoaderSimple', 'CLIPTextEncode', 'EmptyLatentImage', 'KSampler', 'VAEDecode', 'VAEEncode', 'SetLatentNoiseMask',
  'ImagePadForOutpaint', 'ControlNetLoader', 'ControlNetApplyAdvanced', 'LoraLoader', 'UpscaleModelLoader', 'ImageUpscaleWithModel',
  'LoadImage', 'LoadImageMask', 'SaveImage',
] as const;

const MAX_STATS_BYTES = 1024 * 1024;
const MAX_NODE_INFO_BYTES = 16 * 1024 * 1024;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

/**
 * A combo input's choices: legacy `[[…choices], {…}]`, or a v3 node's `["COMBO", { options: […] }]`.
 */
export function comboOptions(nodeInfo: unknown, input: string): string[] {
  if (!isObj(nodeInfo) || !isObj(nodeInfo.input)) return [];
  const spec = [nodeInfo.input.required, nodeInfo.input.optional].filter(isObj).map((group) => group[input]).find(Array.isArray) as unknown[] | undefined;
  if (!spec) return [];
  if (Array.isArray(spec[0])) return strings(spec[0]);
  if (spec[0] === 'COMBO' && isObj(spec[1])) return strings(spec[1].options);
  return [];
}

function parseDevices(stats: Obj): ComfyDevice[] {
  return (Array.isArray(stats.devices) ? stats.devices : []).filter(isObj).map((d) => ({
    name: typeof d.name === 'string' ? d.name : 'unknown device',
    type: typeof d.type === 'string' ? d.type : 'unknown',
    vramTotal: typeof d.vram_total === 'number' ? d.vram_total : undefined,
    vramFree: typeof d.vram_free === 'number' ? d.vram_free : undefined,
  }));
}

/** `GET api/system_stats`, telling apart "not ComfyUI" from "ComfyUI too old". */
async function systemStats(conn: ComfyConnection, signal: AbortSignal | undefined): Promise<Obj> {
  const label = serverLabel(conn.base);
  const what = 'GET /api/system_stats';
  const result = await comfyRequest(conn, 'api/system_stats', { maxBytes: MAX_STATS_BYTES, signal, what });
  if (result.status === 404 || result.status === 405) {
    const legacy = await comfyRequest(conn, 'system_stats', { maxBytes: MAX_STATS_BYTES, signal, what: 'GET /system_stats' });
    if (legacy.status === 200 && isComfyStats(safeParse(legacy.body))) {
      throw new PipelineError('BACKEND_INCOMPATIBLE', `${label} is too old: it predates ComfyUI's /api routes (June 2024). Update ComfyUI (git pull, or "Update ComfyUI" in ComfyUI-Manager); 0.3.44 or later is recommended`);
    }
    throw new PipelineError('BACKEND_INCOMPATIBLE', `${label} is not a ComfyUI server (HTTP ${result.status} for /api/system_stats): check the URL and port (ComfyUI listens on 8188 by default)`);
  }
  if (result.status !== 200) throw statusError(conn, result, what);
  const stats = parseJson(conn, result, what);
  if (!isComfyStats(stats)) {
    throw new PipelineError('BACKEND_INCOMPATIBLE', `${label} answered /api/system_stats without ComfyUI's "system" and "devices": this is not a ComfyUI server, or a proxy rewrote the answer`);
  }
  return stats;
}

function safeParse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function isComfyStats(value: unknown): value is Obj {
  return isObj(value) && isObj(value.system) && Array.isArray(value.devices);
}

/** `GET api/object_info/<node>`: `{ <node>: info }`, or `{}` when the server has no such node. */
async function nodeInfo(conn: ComfyConnection, node: string, signal: AbortSignal | undefined): Promise<unknown> {
  const what = `GET /api/object_info/${node}`;
  const result = await comfyRequest(conn, `api/object_info/${encodeURIComponent(node)}`, { maxBytes: MAX_NODE_INFO_BYTES, signal, what });
  if (result.status !== 200) throw statusError(conn, result, what);
  const body = parseJson(conn, result, what);
  if (!isObj(body)) throw new PipelineError('BACKEND_INCOMPATIBLE', `${serverLabel(conn.base)} answered ${what} with something other than a node table`);
  return body[node];
}

/** The devices and their VRAM now (`GET api/system_stats` alone: for a status bar that stays current). */
export async function currentDevices(conn: ComfyConnection, signal?: AbortSignal): Promise<ComfyDevice[]> {
  return parseDevices(await systemStats(conn, signal));
}

export async function discover(conn: ComfyConnection, signal?: AbortSignal): Promise<ComfyServerInfo> {
  const stats = await systemStats(conn, signal);
  const infos = new Map<string, unknown>();
  // A few at a time: each is small, and a server busy with a job answers these between steps.
  for (let i = 0; i < CORE_NODES.length; i += 4) {
    const batch = CORE_NODES.slice(i, i + 4);
    const answers = await Promise.all(batch.map((n) => nodeInfo(conn, n, signal)));
    batch.forEach((n, j) => {
      if (answers[j] !== undefined) infos.set(n, answers[j]);
    });
  }
  const missing = ['CheckpointLoaderSimple', 'KSampler', 'SaveImage'].filter((n) => !infos.has(n));
  if (missing.length > 0) {
    throw new PipelineError('BACKEND_INCOMPATIBLE', `${serverLabel(conn.base)} has no ${missing.join(', ')} node: these are ComfyUI core nodes, so this server is not a usable ComfyUI (or it runs with its core nodes disabled)`);
  }
  const system = stats.system as Obj;
  return {
    version: typeof system.comfyui_version === 'string' ? system.comfyui_version : undefined,
    devices: parseDevices(stats),
    checkpoints: comboOptions(infos.get('CheckpointLoaderSimple'), 'ckpt_name'),
    controlNets: comboOptions(infos.get('ControlNetLoader'), 'control_net_name'),
    loras: comboOptions(infos.get('LoraLoader'), 'lora_name'),
    upscaleModels: comboOptions(infos.get('UpscaleModelLoader'), 'model_name'),
    samplers: comboOptions(infos.get('KSampler'), 'sampler_name'),
    schedulers: comboOptions(infos.get('KSampler'), 'scheduler'),
    nodes: new Set(infos.keys()),
  };
}

/** "NVIDIA GeForce RTX 4090 (cuda), 22.5 of 24.0 GiB VRAM free" for the status bar and `models list`. */
export function describeDevice(device: ComfyDevice): string {
  const name = device.name.replace(/^cuda:\d+\s+/, '').replace(/\s*:\s*cudaMallocAsync$/, '');
  const gib = (n: number): string => (n / 1024 ** 3).toFixed(1);
  const vram = device.vramTotal ? `, ${device.vramFree !== undefined ? `${gib(device.vramFree)} of ` : ''}${gib(device.vramTotal)} GiB VRAM free` : '';
  return `${name} (${device.type})${vram}`;
}
