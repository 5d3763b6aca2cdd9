/**
 * Generation parameters in AUTOMATIC1111's `parameters` text format, so A1111's PNG Info, civitai and
 * similar tools read Atelier's images:
 *
 *   <prompt>
 *   Negative prompt: <negative>
 *   Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512, Model: sd-turbo, …
 */
import type { ResolvedSamplerName as ResolvedSampler } from '../../shared/request';

export interface GenerationParameters {
  readonly prompt: string;
  readonly negativePrompt: string;
  readonly steps: number;
  readonly sampler: ResolvedSampler;
  readonly guidanceScale: number;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  readonly model: string;
  readonly executionProvider?: string;
  /** The engine when it was not the local pipeline, e.g. `ComfyUI 0.3.64` (Atelier's own field). */
  readonly backend?: string;
  readonly version?: string;
  /** img2img: how far the init image was noised (A1111's "Denoising strength"). */
  readonly denoisingStrength?: number;
  /** img2img: the init image, by a workspace-relative path or file name (never a full path). */
  readonly initImage?: string;
  /** Inpainting: the mask file (workspace-relative path or file name) and its feather radius. */
  readonly mask?: string;
  readonly maskBlur?: number;
  /** txt2img, img2img, inpaint or outpaint (Atelier's own field). */
  readonly mode?: string;
  /** "Inpaint only the masked area" with this padding (A1111's "Inpaint area: Only masked"). */
  readonly onlyMaskedPadding?: number;
  /** Outpainting: pixels added left,right,top,bottom. */
  readonly outpaint?: string;
  /** ControlNets in A1111's "ControlNet N" form. */
  readonly controlNets?: readonly ControlNetParameters[];
  /** LoRAs merged into the model, as A1111's "Lora hashes" value (`name: hash, name: hash`). */
  readonly loraHashes?: string;
}

export interface ControlNetParameters {
  readonly type: string;
  /** The ControlNet's folder name (never a full path). */
  readonly model: string;
  readonly weight: number;
  readonly start: number;
  readonly end: number;
  /** The control image (workspace-relative path, file name or canvas layer). */
  readonly image?: string;
}

function controlNetField(c: ControlNetParameters): string {
  const parts = [`Module: none`, `Model: ${c.model}`, `Weight: ${c.weight}`, `Guidance Start: ${c.start}`, `Guidance End: ${c.end}`, `Control type: ${c.type}`, ...(c.image ? [`Image: ${c.image}`] : [])];
  return JSON.stringify(parts.join(', '));
}

const A1111_SAMPLERS: Record<ResolvedSampler, { sampler: string; schedule?: string }> = {
  euler: { sampler: 'Euler' },
  'euler-a': { sampler: 'Euler a' },
  ddim: { sampler: 'DDIM' },
  pndm: { sampler: 'PLMS' },
  lcm: { sampler: 'LCM' },
  'dpmpp-2m': { sampler: 'DPM++ 2M' },
  'dpmpp-2m-karras': { sampler: 'DPM++ 2M', schedule: 'Karras' },
};

/** Values are quoted A1111-style when they contain separators; quoting also escapes control characters (a file name may hold them). */
function value(text: string): string {
  return /[,:\n"\u0000-\u001f]/.test(text) ? JSON.stringify(text) : text;
}

export function formatParameters(p: GenerationParameters): string {
  const names = A1111_SAMPLERS[p.sampler];
  const fields: Array<[string, string]> = [
    ['Steps', String(p.steps)],
    ['Sampler', names.sampler],
    ...(names.schedule ? [['Schedule type', names.schedule] as [string, string]] : []),
    ['CFG scale', String(p.guidanceScale)],
    ['Seed', String(p.seed)],
    ['Size', `${p.width}x${p.height}`],
    ['Model', value(p.model)],
    ...(p.denoisingStrength !== undefined ? [['Denoising strength', String(p.denoisingStrength)] as [string, string]] : []),
    ...(p.initImage !== undefined ? [['Init image', value(p.initImage)] as [string, string]] : []),
    ...(p.mask !== undefined ? [['Mask', value(p.mask)] as [string, string]] : []),
    ...(p.maskBlur !== undefined ? [['Mask blur', String(p.maskBlur)] as [string, string]] : []),
    ...(p.onlyMaskedPadding !== undefined ? ([['Inpaint area', 'Only masked'], ['Masked area padding', String(p.onlyMaskedPadding)]] as [string, string][]) : []),
    ...(p.outpaint !== undefined ? [['Outpaint', value(p.outpaint)] as [string, string]] : []),
    ...(p.controlNets ?? []).map((c, i) => [`ControlNet ${i}`, controlNetField(c)] as [string, string]),
    ...(p.loraHashes ? [['Lora hashes', JSON.stringify(p.loraHashes)] as [string, string]] : []),
    ...(p.mode !== undefined ? [['Mode', p.mode] as [string, string]] : []),
    ...(p.executionProvider ? [['Execution provider', p.executionProvider] as [string, string]] : []),
    ...(p.backend ? [['Backend', value(p.backend)] as [string, string]] : []),
    ['Version', value(`Atelier ${p.version ?? 'dev'}`)],
  ];
  const lines = [p.prompt];
  if (p.negativePrompt.trim() !== '') lines.push(`Negative prompt: ${p.negativePrompt}`);
  lines.push(fields.map(([k, v]) => `${k}: ${v}`).join(', '));
  return lines.join('\n');
}

export interface ParsedParameters {
  readonly prompt: string;
  readonly negativePrompt: string;
  /** Every `Key: value` of the last line, unquoted. */
  readonly fields: ReadonlyMap<string, string>;
  readonly steps?: number;
  readonly sampler?: ResolvedSampler;
  readonly guidanceScale?: number;
  readonly seed?: number;
  readonly width?: number;
  readonly height?: number;
  readonly model?: string;
  readonly denoisingStrength?: number;
}

const FIELD = /\s*([\w \-/+]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;

export function parseParameters(text: string): ParsedParameters {
  const lines = text.split('\n');
  const last = lines[lines.length - 1];
  const hasFields = /(^|, )Steps: \d+/.test(last);
  const body = hasFields ? lines.slice(0, -1) : lines;
  const negIndex = body.findIndex((l) => l.startsWith('Negative prompt:'));
  const prompt = (negIndex >= 0 ? body.slice(0, negIndex) : body).join('\n');
  const negativePrompt = negIndex >= 0 ? body.slice(negIndex).join('\n').replace(/^Negative prompt:\s?/, '') : '';
  const fields = new Map<string, string>();
  if (hasFields) {
    for (const match of last.matchAll(FIELD)) {
      const raw = match[2].trim();
      fields.set(match[1].trim(), raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
    }
  }
  const num = (key: string): number | undefined => {
    const v = fields.get(key);
    return v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;
  };
  const size = /^(\d+)x(\d+)$/.exec(fields.get('Size') ?? '');
  const samplerName = fields.get('Sampler');
  const schedule = fields.get('Schedule type');
  const sampler = (Object.entries(A1111_SAMPLERS) as Array<[ResolvedSampler, { sampler: string; schedule?: string }]>).find(
    ([, n]) => n.sampler === samplerName?.replace(/ Karras$/, '') && (n.schedule ?? '') === (schedule ?? (samplerName?.endsWith(' Karras') ? 'Karras' : '')),
  )?.[0];
  return {
    prompt,
    negativePrompt,
    fields,
    steps: num('Steps'),
    sampler,
    guidanceScale: num('CFG scale'),
    seed: num('Seed'),
    width: size ? Number(size[1]) : undefined,
    height: size ? Number(size[2]) : undefined,
    model: fields.get('Model'),
    denoisingStrength: num('Denoising strength'),
  };
}
