/**
 * ControlNet for every task pipeline: resolves each control to a ControlNet (separate layout c, or a
 * slot of a fused UNet, layout a), checks it fits the base model, and gives the denoising loop the
 * UNet extras for each step (residuals summed over the ControlNets active at that step).
 */
import { PipelineError } from '../../shared/errors';
import type { ControlInput, UsedControlNet } from '../../shared/request';
import { findControlNets, inspectControlNetFolder, type ControlNetFolder } from '../models/controlNetFolder';
import { batchedCond, type ControlNet } from '../models/sd/controlNet';
import type { DenoiserInput, UNet, UNetCall } from '../models/sd/unet';
import type { FloatTensor } from '../models/tensorIo';
import { decodeControlImage, rgbToUnitChw, type RgbImage } from '../ops/decodeImage';
import type { LoadedModel } from '../runtime/loadedModel';

/** diffusers' window: step k of n runs the ControlNet unless k/n < start or (k+1)/n > end. */
export function controlActive(k: number, n: number, start: number, end: number): boolean {
  return !(k / n < start || (k + 1) / n > end);
}

export interface ControlPlan {
  /** The UNet to denoise with (the residual-input UNet for separate ControlNets). */
  readonly unet: UNet;
  readonly used: readonly UsedControlNet[];
  /** UNet extras for step k of n (k counted over the steps that run). */
  extras(k: number, n: number, input: DenoiserInput): Promise<Pick<UNetCall, 'residuals' | 'fused'>>;
  /** Separate ControlNet runs so far and their time. */
  readonly stats: { runs: number; ms: number };
}

interface Resolved {
  readonly control: ControlInput;
  readonly image: Float32Array;
  /** The image repeated for the UNet batch, made on first use. */
  batched?: { readonly batch: number; readonly data: Float32Array };
  readonly net?: ControlNet;
  readonly slot?: number;
}

function describe(control: ControlInput, index: number): string {
  return `control ${index + 1} (${control.type})`;
}

/** The ControlNet folder for a control: the one named, else the first of its type under the roots. */
function pickFolder(control: ControlInput, index: number, roots: readonly string[]): ControlNetFolder {
  if (control.controlNetDir) return inspectControlNetFolder(control.controlNetDir);
  const match = findControlNets(roots).find((cn) => cn.type === control.type);
  if (!match) {
    const where = roots.length > 0 ? `under ${roots.join(', ')}` : 'because no ControlNet folders are configured';
    throw new PipelineError('CONTROLNET_MISSING', `${describe(control, index)}: no ${control.type} ControlNet was found ${where}; add its folder to the "atelier.controlNetFolders" setting (CLI: --controlnets DIR) or name it directly`, { argument: control.type });
  }
  return match;
}

/** Fused slots in order; a slot's type comes from the model folder name when it has one slot. */
function fusedSlot(model: LoadedModel, control: ControlInput, index: number, taken: Set<number>): number {
  const count = model.unet.fusedCount;
  const known = count === 1 ? model.folder.nameControlType : undefined;
  if (control.controlNetDir) {
    throw new PipelineError('INVALID_INPUT', `${describe(control, index)}: ${model.folder.dir} has its ControlNet fused into the UNet, so a separate ControlNet (${control.controlNetDir}) cannot be added; leave the ControlNet folder out`, { argument: 'controls' });
  }
  if (known && known !== control.type) {
    throw new PipelineError('INVALID_INPUT', `${describe(control, index)}: this model's fused ControlNet is ${known}, not ${control.type}; give it a ${known} image or use another model`, { argument: 'controls' });
  }
  const slot = [...Array(count).keys()].find((s) => !taken.has(s));
  if (slot === undefined) throw new PipelineError('INVALID_INPUT', `${model.folder.dir} has ${count} fused ControlNet${count === 1 ? '' : 's'}; ${index + 1} controls were given`, { argument: 'controls' });
  taken.add(slot);
  return slot;
}

/** Decodes the request's control images at the output size (checks and notices in decodeControlImage). */
export async function decodeControls(request: { readonly controls?: readonly ControlInput[] }, width: number, height: number, warn: (message: string) => void): Promise<RgbImage[]> {
  const images: RgbImage[] = [];
  for (const [i, control] of (request.controls ?? []).entries()) images.push(await decodeControlImage(control.image, `control ${i + 1} (${control.type}) image`, width, height, warn));
  return images;
}

/** Images must already be at the output size (see `decodeControls`). */
export async function prepareControls(model: LoadedModel, controls: readonly ControlInput[], images: readonly RgbImage[], roots: readonly string[]): Promise<ControlPlan | undefined> {
  if (controls.length === 0) return undefined;
  const resolved: Resolved[] = [];
  const used: UsedControlNet[] = [];
  let unet = model.unet;
  if (model.unet.controlLayout === 'fused') {
    const taken = new Set<number>();
    controls.forEach((control, i) => {
      resolved.push({ control, image: rgbToUnitChw(images[i]), slot: fusedSlot(model, control, i, taken) });
      used.push({ type: control.type, model: model.folder.dir, layout: 'fused', scale: control.scale, start: control.start, end: control.end });
    });
  } else {
    const residual = await model.residualUnet();
    for (const [i, control] of controls.entries()) {
      const folder = pickFolder(control, i, roots);
      if (!residual) {
        throw new PipelineError('CONTROLNET_UNET_MISSING', `${describe(control, i)}: ${folder.dir} is a separate ControlNet, but ${model.folder.dir} has no controlnet/model.onnx (the UNet that takes ControlNet residuals); use a model exported with its ControlNet UNet, or a fused UNet+ControlNet export`, { argument: 'controlnet/model.onnx' });
      }
      const net = await model.controlNet(folder);
      if (net.contextWidth !== undefined && net.contextWidth !== model.textWidth) {
        throw new PipelineError('MODEL_INVALID', `${describe(control, i)}: ${folder.dir} expects ${net.contextWidth}-wide text embeddings but ${model.folder.dir} produces ${model.textWidth} (${model.family}); use a ControlNet trained for ${model.family}`, { argument: 'controls' });
      }
      if (net.residualOutputs.length !== residual.residualInputs.length) {
        throw new PipelineError('MODEL_INVALID', `${describe(control, i)}: ${folder.dir} returns ${net.residualOutputs.length} residuals but the model's ControlNet UNet takes ${residual.residualInputs.length}; they are built for different base models`, { argument: 'controls' });
      }
      if (control.type !== folder.type && folder.type !== undefined) {
        throw new PipelineError('INVALID_INPUT', `${describe(control, i)}: ${folder.dir} is a ${folder.type} ControlNet, not ${control.type}`, { argument: 'controls' });
      }
      resolved.push({ control, image: rgbToUnitChw(images[i]), net });
      used.push({ type: control.type, model: folder.dir, layout: 'separate', scale: control.scale, start: control.start, end: control.end });
    }
    unet = residual ?? unet;
  }
  return planFor(unet, resolved, used);
}

/** Sums `more` into `into`, tensor by tensor (several ControlNets add their residuals). */
function addResiduals_(into: readonly FloatTensor[], more: readonly FloatTensor[]): void {
  for (let i = 0; i < into.length; i++) {
    const a = into[i].data;
    const b = more[i].data;
    for (let j = 0; j < a.length; j++) a[j] += b[j];
  }
}

/** The fused UNet's control images [numCN, 3, H, W], each in its slot (unused slots stay black). */
function stackSlots(count: number, resolved: readonly Resolved[]): Float32Array {
  const plane = resolved[0].image.length;
  const conds = new Float32Array(count * plane);
  for (const r of resolved) conds.set(r.image, (r.slot ?? 0) * plane);
  return conds;
}

function planFor(unet: UNet, resolved: readonly Resolved[], used: readonly UsedControlNet[]): ControlPlan {
  const stats = { runs: 0, ms: 0 };
  let fusedConds: Float32Array | undefined;
  return {
    unet,
    used,
    stats,
    extras: async (k, n, input) => {
      const active = resolved.filter((r) => controlActive(k, n, r.control.start, r.control.end) && r.control.scale !== 0);
      if (unet.controlLayout === 'fused') {
        fusedConds ??= stackSlots(unet.fusedCount, resolved);
        const scales = new Float32Array(unet.fusedCount);
        for (const r of active) scales[r.slot ?? 0] = r.control.scale;
        return { fused: { conds: fusedConds, scales } };
      }
      let sum: FloatTensor[] | undefined;
      for (const r of active) {
        const started = performance.now();
        if (r.batched?.batch !== input.batch) r.batched = { batch: input.batch, data: batchedCond(r.image, input.batch) };
        const residuals = await (r.net as ControlNet).run({ ...input, cond: r.batched.data, scale: r.control.scale });
        stats.runs += 1;
        stats.ms += performance.now() - started;
        if (!sum) sum = residuals;
        else addResiduals_(sum, residuals);
      }
      return sum ? { residuals: sum } : {};
    },
  };
}

/** The PipelineOutput fields that report ControlNet use. */
export function controlStats(plan: ControlPlan | undefined): { controlNets: readonly UsedControlNet[]; controlNetRuns: number; controlNetMs: number } {
  return { controlNets: plan?.used ?? [], controlNetRuns: plan?.stats.runs ?? 0, controlNetMs: plan?.stats.ms ?? 0 };
}
