/**
 * LoRA files merged into a checkpoint's weights as they are read: W' = W + Σ weight · (alpha / rank) · up · down.
 * Key formats: kohya (`lora_unet_*`, `lora_te_*`, `lora_te1_*`/`lora_te2_*` for SDXL, `.lora_down/.lora_up`,
 * `.alpha`; UNet modules in diffusers or original-LDM naming), diffusers/PEFT (`*.lora_A/.lora_B`,
 * `*.lora.down/.lora.up`, `*.processor.to_q_lora.down`), LoCon conv layers (down [r, in, kh, kw], up [out, r, 1, 1]).
 * Keys that match no weight are reported (count and examples), never silently dropped.
 */
import { PipelineError } from '../../shared/errors';
import { mapUnetKey } from './ldmKeys';
import type { SafetensorsFile } from './safetensors';
import type { WeightSource } from './types';

export interface LoraModule {
  /** The diffusers weight this module changes, component-prefixed (`unet.…to_q.weight`). */
  readonly target: string;
  readonly up: string;
  readonly down: string;
  readonly alpha?: string;
  readonly rank: number;
}

export interface ParsedLora {
  readonly file: SafetensorsFile;
  readonly modules: readonly LoraModule[];
  /** LoRA keys that name no weight of this model, or a form Atelier does not merge (LoHa, LoKr, Tucker mid). */
  readonly unmatched: readonly string[];
}

export interface LoraReport {
  readonly file: string;
  readonly weight: number;
  readonly modules: number;
  readonly unmatched: number;
  readonly examples: readonly string[];
}

type Role = 'up' | 'down' | 'alpha';

/** Splits a LoRA key into its module path and role, or undefined when it is not a plain LoRA tensor. */
function splitKey(key: string): { module: string; role: Role } | undefined {
  const forms: [RegExp, Role][] = [
    [/^(.+)\.lora_down\.weight$/, 'down'],
    [/^(.+)\.lora_up\.weight$/, 'up'],
    [/^(.+)\.lora_A(?:\.default)?\.weight$/, 'down'],
    [/^(.+)\.lora_B(?:\.default)?\.weight$/, 'up'],
    [/^(.+)\.lora\.down\.weight$/, 'down'],
    [/^(.+)\.lora\.up\.weight$/, 'up'],
    [/^(.+_lora)\.down\.weight$/, 'down'],
    [/^(.+_lora)\.up\.weight$/, 'up'],
    [/^(.+)\.lora_linear_layer\.down\.weight$/, 'down'],
    [/^(.+)\.lora_linear_layer\.up\.weight$/, 'up'],
    [/^(.+)\.alpha$/, 'alpha'],
  ];
  for (const [re, role] of forms) {
    const m = re.exec(key);
    if (m) return { module: m[1], role };
  }
  return undefined;
}

/** Kohya's flattened module name for a diffusers weight (`unet.a.b.weight` → `lora_unet_a_b`). */
function kohyaNames(weight: string, sdxl: boolean): string[] {
  const dot = weight.indexOf('.');
  const component = weight.slice(0, dot);
  const path = weight.slice(dot + 1, -'.weight'.length).replace(/\./g, '_');
  switch (component) {
    case 'unet':
      return [`lora_unet_${path}`];
    case 'text_encoder':
      return sdxl ? [`lora_te1_${path}`] : [`lora_te_${path}`, `lora_te1_${path}`];
    case 'text_encoder_2':
      return [`lora_te2_${path}`];
    default:
      return [];
  }
}

/** A kohya UNet module in original-LDM naming (SDXL LoRAs from sd-scripts) → its kohya name in diffusers naming. */
function ldmKohyaToDiffusers(module: string, lpb: number): string | undefined {
  const rest = module.slice('lora_unet_'.length);
  const dotTail = (tail: string): string => {
    const resnet = /^(in_layers|out_layers|emb_layers)_(\d)$/.exec(tail);
    if (resnet) return `${resnet[1]}.${resnet[2]}.`;
    return `${tail}.`;
  };
  let ldm: string | undefined;
  let m = /^(input_blocks|output_blocks)_(\d+)_(\d+)_(.+)$/.exec(rest);
  if (m) ldm = `${m[1]}.${m[2]}.${m[3]}.${dotTail(m[4])}`;
  m = /^middle_block_(\d)_(.+)$/.exec(rest);
  if (m) ldm = `middle_block.${m[1]}.${dotTail(m[2])}`;
  m = /^(time_embed|out)_(\d)$/.exec(rest);
  if (m) ldm = `${m[1]}.${m[2]}.`;
  m = /^label_emb_0_(\d)$/.exec(rest);
  if (m) ldm = `label_emb.0.${m[1]}.`;
  if (!ldm) return undefined;
  const mapped = mapUnetKey(`${ldm}weight`, lpb);
  return mapped && `lora_unet_${mapped.slice(0, -'.weight'.length).replace(/\./g, '_')}`;
}

/** A diffusers/PEFT module path → the component-prefixed diffusers weight it names. */
function diffusersTarget(module: string): string {
  let m = module.replace(/^base_model\.model\./, '');
  // Old diffusers attention-processor LoRAs: `attn1.processor.to_q_lora` → `attn1.to_q`, `to_out_lora` → `to_out.0`.
  m = m.replace(/\.processor\.(to_q|to_k|to_v)_lora$/, '.$1').replace(/\.processor\.to_out_lora$/, '.to_out.0');
  if (!/^(unet|text_encoder|text_encoder_2)\./.test(m)) m = /^(text_model)\./.test(m) ? `text_encoder.${m}` : `unet.${m}`;
  return `${m}.weight`;
}

/** Groups a LoRA file's keys into modules aimed at `base`'s weights. */
export function parseLora(file: SafetensorsFile, base: WeightSource, layersPerBlock: number): ParsedLora {
  const names = base.names();
  const sdxl = names.some((n) => n.startsWith('text_encoder_2.'));
  const kohya = new Map<string, string>();
  for (const n of names) if (n.endsWith('.weight')) for (const k of kohyaNames(n, sdxl)) kohya.set(k, n);

  const groups = new Map<string, Partial<Record<Role, string>>>();
  const unmatched: string[] = [];
  for (const key of file.entries.keys()) {
    const split = splitKey(key);
    if (!split) {
      unmatched.push(key);
      continue;
    }
    const g = groups.get(split.module) ?? {};
    g[split.role] = key;
    groups.set(split.module, g);
  }
  // alpha-only keys with no up/down (or a scalar named otherwise) fall through to unmatched below.
  const modules: LoraModule[] = [];
  for (const [module, g] of groups) {
    const keys = [g.up, g.down, g.alpha].filter((k): k is string => k !== undefined);
    if (!g.up || !g.down) {
      unmatched.push(...keys);
      continue;
    }
    let target: string | undefined;
    if (module.startsWith('lora_')) {
      target = kohya.get(module);
      if (!target && module.startsWith('lora_unet_')) {
        const alias = ldmKohyaToDiffusers(module, layersPerBlock);
        target = alias ? kohya.get(alias) : undefined;
      }
    } else {
      const t = diffusersTarget(module);
      target = base.info(t) ? t : undefined;
    }
    if (!target) {
      unmatched.push(...keys);
      continue;
    }
    const down = file.entries.get(g.down);
    const up = file.entries.get(g.up);
    const info = base.info(target);
    if (!down || !up || !info) continue;
    const rank = down.shape[0];
    const outDim = up.shape[0];
    const inElems = down.shape.slice(1).reduce((a, d) => a * d, 1);
    const targetElems = info.shape.reduce((a, d) => a * d, 1);
    const upInner = up.shape.slice(1).reduce((a, d) => a * d, 1);
    if (upInner !== rank || outDim * inElems !== targetElems || info.shape[0] !== outDim) {
      throw new PipelineError(
        'MODEL_INVALID',
        `${file.file}: LoRA module ${module} (down ${JSON.stringify(down.shape)}, up ${JSON.stringify(up.shape)}) does not fit ${target} ${JSON.stringify(info.shape)}; the LoRA was trained for another model family`,
        { argument: file.file },
      );
    }
    modules.push({ target, up: g.up, down: g.down, ...(g.alpha ? { alpha: g.alpha } : {}), rank });
  }
  return { file, modules, unmatched };
}

export interface AppliedLora {
  readonly lora: ParsedLora;
  readonly weight: number;
}

/** `up · down` (out × in·kh·kw) scaled by `scale`, added into `into`. */
export function addLowRank(into: Float32Array, up: Float32Array, down: Float32Array, rank: number, scale: number): void {
  const outDim = up.length / rank;
  const inner = down.length / rank;
  for (let o = 0; o < outDim; o++) {
    const row = o * inner;
    for (let r = 0; r < rank; r++) {
      const u = up[o * rank + r] * scale;
      if (u === 0) continue;
      const d = r * inner;
      for (let i = 0; i < inner; i++) into[row + i] += u * down[d + i];
    }
  }
}

/** Reads `base` with each LoRA's deltas added to the weights it names. */
export function withLoras(base: WeightSource, loras: readonly AppliedLora[]): WeightSource {
  const byTarget = new Map<string, { module: LoraModule; applied: AppliedLora }[]>();
  for (const applied of loras) {
    for (const module of applied.lora.modules) byTarget.set(module.target, [...(byTarget.get(module.target) ?? []), { module, applied }]);
  }
  return {
    names: () => base.names(),
    info: (name) => base.info(name),
    read: async (name) => {
      const values = await base.read(name);
      for (const { module, applied } of byTarget.get(name) ?? []) {
        const file = applied.lora.file;
        const alpha = module.alpha ? (await file.read(module.alpha))[0] : module.rank;
        addLowRank(values, await file.read(module.up), await file.read(module.down), module.rank, applied.weight * (alpha / module.rank));
      }
      return values;
    },
  };
}

export function loraReport(applied: AppliedLora): LoraReport {
  return {
    file: applied.lora.file.file,
    weight: applied.weight,
    modules: applied.lora.modules.length,
    unmatched: applied.lora.unmatched.length,
    examples: applied.lora.unmatched.slice(0, 5),
  };
}
