/**
 * Original-LDM (A1111/civitai single-file) tensor names → diffusers names, derived from the key structure:
 * UNet `model.diffusion_model.*`, VAE `first_stage_model.*`, text encoders `cond_stage_model.*` (SD 1.x
 * HF CLIP, SD 2.x OpenCLIP) or `conditioner.embedders.{0,1}.*` (SDXL). Each target records how its values
 * come from the source: copied, a 1×1 conv squeezed to a linear weight, a third of OpenCLIP's fused in_proj,
 * or transposed (OpenCLIP's text_projection).
 */
import type { SdFamily } from './types';

export type Transform =
  | { readonly kind: 'copy' }
  /** [o, i, 1, 1] conv weight read as [o, i] linear (the VAE mid-block attention in LDM files). */
  | { readonly kind: 'squeeze' }
  /** Row block `part` of `parts` along the first axis (OpenCLIP's fused q/k/v in_proj). */
  | { readonly kind: 'rows'; readonly part: number; readonly parts: number }
  /** A 2-D matrix transposed (OpenCLIP's text_projection is applied as x @ P; diffusers' Linear as x @ Wᵀ). */
  | { readonly kind: 'transpose' };

export interface KeyMapping {
  readonly target: string;
  readonly source: string;
  readonly transform: Transform;
  readonly shape: readonly number[];
}

export interface LdmMapping {
  readonly mapped: readonly KeyMapping[];
  /** Source keys deliberately left out, with why (EMA copies, OpenCLIP's unused last layer, logit_scale…). */
  readonly skipped: readonly { readonly source: string; readonly why: string }[];
  /** Source keys nothing recognises: the caller reports them. */
  readonly unknown: readonly string[];
}

export type ShapeOf = (name: string) => readonly number[] | undefined;

const COPY: Transform = { kind: 'copy' };

const RESNET_LDM: readonly [RegExp, string][] = [
  [/^in_layers\.0\./, 'norm1.'],
  [/^in_layers\.2\./, 'conv1.'],
  [/^emb_layers\.1\./, 'time_emb_proj.'],
  [/^out_layers\.0\./, 'norm2.'],
  [/^out_layers\.3\./, 'conv2.'],
  [/^skip_connection\./, 'conv_shortcut.'],
];

function renameResnet(rest: string): string | undefined {
  for (const [re, to] of RESNET_LDM) if (re.test(rest)) return rest.replace(re, to);
  return undefined;
}

/** Layers per block, from where the first downsampler sits (`input_blocks.{lpb+1}.0.op`). */
export function ldmLayersPerBlock(names: readonly string[], prefix = 'model.diffusion_model.'): number | undefined {
  const ops = names.map((n) => new RegExp(`^${prefix.replace(/\./g, '\\.')}input_blocks\\.(\\d+)\\.0\\.op\\.weight$`).exec(n)).filter((m) => m !== null);
  if (ops.length === 0) return undefined;
  return Math.min(...ops.map((m) => Number(m[1]))) - 1;
}

/** One UNet key (without `model.diffusion_model.`) → the diffusers key (without `unet.`), or undefined. */
export function mapUnetKey(key: string, lpb: number): string | undefined {
  const simple: [string, string][] = [
    ['time_embed.0.', 'time_embedding.linear_1.'],
    ['time_embed.2.', 'time_embedding.linear_2.'],
    ['label_emb.0.0.', 'add_embedding.linear_1.'],
    ['label_emb.0.2.', 'add_embedding.linear_2.'],
    ['input_blocks.0.0.', 'conv_in.'],
    ['out.0.', 'conv_norm_out.'],
    ['out.2.', 'conv_out.'],
  ];
  for (const [from, to] of simple) if (key.startsWith(from)) return to + key.slice(from.length);
  let m = /^input_blocks\.(\d+)\.(\d+)\.(.+)$/.exec(key);
  if (m) {
    const n = Number(m[1]) - 1;
    const level = Math.floor(n / (lpb + 1));
    const j = n % (lpb + 1);
    const rest = m[3];
    if (j === lpb) return m[2] === '0' && rest.startsWith('op.') ? `down_blocks.${level}.downsamplers.0.conv.${rest.slice(3)}` : undefined;
    if (m[2] === '0') {
      const r = renameResnet(rest);
      return r && `down_blocks.${level}.resnets.${j}.${r}`;
    }
    return m[2] === '1' ? `down_blocks.${level}.attentions.${j}.${rest}` : undefined;
  }
  m = /^middle_block\.(\d)\.(.+)$/.exec(key);
  if (m) {
    if (m[1] === '1') return `mid_block.attentions.0.${m[2]}`;
    const r = renameResnet(m[2]);
    return r && `mid_block.resnets.${m[1] === '0' ? 0 : 1}.${r}`;
  }
  m = /^output_blocks\.(\d+)\.(\d+)\.(.+)$/.exec(key);
  if (m) {
    const n = Number(m[1]);
    const level = Math.floor(n / (lpb + 1));
    const j = n % (lpb + 1);
    const rest = m[3];
    if (m[2] === '0') {
      const r = renameResnet(rest);
      return r && `up_blocks.${level}.resnets.${j}.${r}`;
    }
    // The upsampler follows the resnet (and the attention, when the block has one).
    if (rest.startsWith('conv.')) return `up_blocks.${level}.upsamplers.0.conv.${rest.slice(5)}`;
    return m[2] === '1' ? `up_blocks.${level}.attentions.${j}.${rest}` : undefined;
  }
  return undefined;
}

const VAE_ATTENTION: Record<string, string> = { norm: 'group_norm', q: 'to_q', k: 'to_k', v: 'to_v', proj_out: 'to_out.0', to_q: 'to_q', to_k: 'to_k', to_v: 'to_v', 'to_out.0': 'to_out.0' };

/** One VAE key (without `first_stage_model.`) → the diffusers key (without `vae.`). `upLevels`: the decoder's level count. */
export function mapVaeKey(key: string, upLevels: number): string | undefined {
  const resnet = (rest: string): string => rest.replace(/^nin_shortcut\./, 'conv_shortcut.');
  if (/^(quant_conv|post_quant_conv)\./.test(key)) return key;
  let m = /^(encoder|decoder)\.(conv_in|conv_out)\.(.+)$/.exec(key);
  if (m) return key;
  m = /^(encoder|decoder)\.norm_out\.(.+)$/.exec(key);
  if (m) return `${m[1]}.conv_norm_out.${m[2]}`;
  m = /^encoder\.down\.(\d+)\.block\.(\d+)\.(.+)$/.exec(key);
  if (m) return `encoder.down_blocks.${m[1]}.resnets.${m[2]}.${resnet(m[3])}`;
  m = /^encoder\.down\.(\d+)\.downsample\.conv\.(.+)$/.exec(key);
  if (m) return `encoder.down_blocks.${m[1]}.downsamplers.0.conv.${m[2]}`;
  m = /^decoder\.up\.(\d+)\.block\.(\d+)\.(.+)$/.exec(key);
  if (m) return `decoder.up_blocks.${upLevels - 1 - Number(m[1])}.resnets.${m[2]}.${resnet(m[3])}`;
  m = /^decoder\.up\.(\d+)\.upsample\.conv\.(.+)$/.exec(key);
  if (m) return `decoder.up_blocks.${upLevels - 1 - Number(m[1])}.upsamplers.0.conv.${m[2]}`;
  m = /^(encoder|decoder)\.mid\.block_([12])\.(.+)$/.exec(key);
  if (m) return `${m[1]}.mid_block.resnets.${Number(m[2]) - 1}.${resnet(m[3])}`;
  m = /^(encoder|decoder)\.mid\.attn_1\.(norm|q|k|v|proj_out|to_q|to_k|to_v|to_out\.0)\.(weight|bias)$/.exec(key);
  if (m) return `${m[1]}.mid_block.attentions.0.${VAE_ATTENTION[m[2]]}.${m[3]}`;
  return undefined;
}

/** OpenCLIP (SD 2.x, SDXL's second encoder) key, without its `…model.` prefix → CLIPTextModel key(s). */
function mapOpenClipKey(key: string): { target: string; transform: Transform }[] | undefined {
  const one = (target: string, transform: Transform = COPY): { target: string; transform: Transform }[] => [{ target, transform }];
  if (key === 'token_embedding.weight') return one('text_model.embeddings.token_embedding.weight');
  if (key === 'positional_embedding') return one('text_model.embeddings.position_embedding.weight');
  if (key === 'text_projection') return one('text_projection.weight', { kind: 'transpose' });
  let m = /^ln_final\.(weight|bias)$/.exec(key);
  if (m) return one(`text_model.final_layer_norm.${m[1]}`);
  m = /^transformer\.resblocks\.(\d+)\.(.+)$/.exec(key);
  if (!m) return undefined;
  const layer = `text_model.encoder.layers.${m[1]}.`;
  const rest = m[2];
  const fused = /^attn\.in_proj_(weight|bias)$/.exec(rest);
  if (fused) return ['q', 'k', 'v'].map((p, part) => ({ target: `${layer}self_attn.${p}_proj.${fused[1]}`, transform: { kind: 'rows', part, parts: 3 } }));
  const renames: [RegExp, string][] = [
    [/^ln_1\./, 'layer_norm1.'],
    [/^ln_2\./, 'layer_norm2.'],
    [/^mlp\.c_fc\./, 'mlp.fc1.'],
    [/^mlp\.c_proj\./, 'mlp.fc2.'],
    [/^attn\.out_proj\./, 'self_attn.out_proj.'],
  ];
  for (const [re, to] of renames) if (re.test(rest)) return one(layer + rest.replace(re, to));
  return undefined;
}

function transformedShape(shape: readonly number[], t: Transform): number[] {
  switch (t.kind) {
    case 'copy':
      return [...shape];
    case 'squeeze':
      return shape.length === 4 ? [shape[0], shape[1]] : [...shape];
    case 'rows':
      return [shape[0] / t.parts, ...shape.slice(1)];
    case 'transpose':
      return [shape[1], shape[0]];
  }
}

/** Number of OpenCLIP residual blocks under `prefix`. */
function openClipLayers(names: readonly string[], prefix: string): number {
  let max = -1;
  for (const n of names) {
    const m = /^transformer\.resblocks\.(\d+)\./.exec(n.startsWith(prefix) ? n.slice(prefix.length) : '');
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

/** Maps every key of a single-file LDM checkpoint of `family` to diffusers naming. */
export function mapLdmCheckpoint(names: readonly string[], shapeOf: ShapeOf, family: SdFamily): LdmMapping {
  const mapped: KeyMapping[] = [];
  const skipped: { source: string; why: string }[] = [];
  const unknown: string[] = [];
  const lpb = ldmLayersPerBlock(names) ?? 2;
  const upLevels = new Set(names.map((n) => /^first_stage_model\.decoder\.up\.(\d+)\./.exec(n)?.[1]).filter((x) => x !== undefined)).size;
  const sd2Layers = openClipLayers(names, 'cond_stage_model.model.');
  const add = (target: string, source: string, transform: Transform = COPY): void => {
    const shape = shapeOf(source) ?? [];
    const vaeAttention = /^vae\.(encoder|decoder)\.mid_block\.attentions\.0\.to_/.test(target) && shape.length === 4;
    const t = vaeAttention ? { kind: 'squeeze' as const } : transform;
    mapped.push({ target, source, transform: t, shape: transformedShape(shape, t) });
  };

  for (const source of names) {
    let target: string | undefined;
    if (source.startsWith('model.diffusion_model.')) {
      target = mapUnetKey(source.slice('model.diffusion_model.'.length), lpb);
      if (target) add(`unet.${target}`, source);
      else unknown.push(source);
      continue;
    }
    if (source.startsWith('first_stage_model.')) {
      target = mapVaeKey(source.slice('first_stage_model.'.length), upLevels);
      if (target) add(`vae.${target}`, source);
      else unknown.push(source);
      continue;
    }
    if (source.startsWith('model_ema.') || source === 'alphas_cumprod' || /^(betas|alphas_cumprod_prev|sqrt_|log_one_minus|posterior_|model_ema)/.test(source)) {
      skipped.push({ source, why: 'training state (EMA copy or noise schedule buffer), not a weight the graphs use' });
      continue;
    }
    if (/\.position_ids$/.test(source)) {
      skipped.push({ source, why: 'position_ids is a constant buffer' });
      continue;
    }
    const hf = /^(?:cond_stage_model\.transformer\.|conditioner\.embedders\.0\.transformer\.)(?:text_model\.)?(.+)$/.exec(source);
    if (hf && family !== 'sd2') {
      add(`text_encoder.text_model.${hf[1]}`, source);
      continue;
    }
    const open = /^(cond_stage_model\.model\.|conditioner\.embedders\.1\.model\.)(.+)$/.exec(source);
    if (open) {
      const sd2 = open[1] === 'cond_stage_model.model.';
      const component = sd2 ? 'text_encoder' : 'text_encoder_2';
      const rest = open[2];
      if (rest === 'logit_scale' || rest === 'attn_mask') {
        skipped.push({ source, why: 'not used by the text encoder' });
        continue;
      }
      if (sd2 && rest === 'text_projection') {
        skipped.push({ source, why: 'SD 2.x conditions on hidden states; its projection is unused' });
        continue;
      }
      // SD 2.x conditions on the penultimate layer: diffusers' SD 2 text encoder has one layer less.
      if (sd2 && rest.startsWith(`transformer.resblocks.${sd2Layers - 1}.`)) {
        skipped.push({ source, why: 'SD 2.x uses the penultimate OpenCLIP layer; the last one is dropped as diffusers does' });
        continue;
      }
      const targets = mapOpenClipKey(rest);
      if (targets) for (const t of targets) add(`${component}.${t.target}`, source, t.transform);
      else unknown.push(source);
      continue;
    }
    unknown.push(source);
  }
  return { mapped, skipped, unknown };
}
