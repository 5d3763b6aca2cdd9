/**
 * UNet session adapter: reads the declared interface once and feeds every exporter variant. Besides
 * the plain UNet it drives the 9-channel inpainting UNet, the residual-input UNet of the separate
 * ControlNet layout (c) and the fused UNet+ControlNet graph (layout a).
 */
import { PipelineError } from '../../../shared/errors';
import type { Session, TensorData, ValueInfo } from '../../backends/onnx';
import { concatBatch, numel } from '../../ops/tensor';
import { findInput, floatTensor, pickOutput, readFloat, timestepTensor, type FloatTensor } from '../tensorIo';
import { FUSED_CONDS, FUSED_SCALES, isResidualName, residualOrder, residualShapes } from './unetInputs';

/** What every denoiser graph of a step gets: the UNet and any ControlNet alike. */
export interface DenoiserInput {
  /** [batch, 4, h, w] latents, already scaled by the scheduler. */
  readonly sample: Float32Array;
  readonly batch: number;
  /** Latent height and width. */
  readonly height: number;
  readonly width: number;
  readonly timestep: number;
  /** [batch, seq, D] text embeddings. */
  readonly encoderHiddenStates: Float32Array;
  readonly seqLength: number;
}

export interface UNetCall extends DenoiserInput {  /** LCM guidance embedding [batch, timeCondDim] when the UNet takes `timestep_cond`. */
  readonly timestepCond?: Float32Array;
  /** 9-channel UNet: [5, h, w] = mask + masked-image latents, the same for every batch item. */
  readonly inpaintChannels?: Float32Array;
  /** Layout (c): summed, scaled ControlNet residuals [batch, C, h', w'] in residual order; zeros when absent. */
  readonly residuals?: readonly FloatTensor[];
  /** Layout (a): control images [numCN, 3, H, W] (the same for every batch item) and one scale each. */
  readonly fused?: { readonly conds: Float32Array; readonly scales: Float32Array };
}

export type UNetControlLayout = 'none' | 'residual' | 'fused';

export interface DenoiserOptions {
  /**
   * Run a batch as batch-1 passes even when the graph takes a batch. On the CPU this halves the
   * activations held at once (at 512² an SD 1.5 UNet holds ~3 GB less) for the same time per step.
   */
  readonly batchOnePasses?: boolean;
}

export class UNet {
  readonly sampleInput: ValueInfo;
  readonly timestepInput: ValueInfo;
  readonly contextInput: ValueInfo;
  readonly timestepCondInput: ValueInfo | undefined;
  readonly inChannels: number | undefined;
  /** The batch axis is fixed to 1: CFG then runs the conditional and unconditional passes separately. */
  readonly fixedBatchOne: boolean;
  /** CFG runs as batch-1 passes (a fixed batch axis, or chosen for memory: see `DenoiserOptions`). */
  readonly batchOnePasses: boolean;
  /** Cross-attention width D when the graph declares it. */
  readonly contextWidth: number | undefined;
  readonly controlLayout: UNetControlLayout;
  /** Layout (c): residual inputs, down blocks then mid. */
  readonly residualInputs: readonly ValueInfo[];
  /** Layout (a): how many ControlNets are fused in (the first axis of controlnet_conds). */
  readonly fusedCount: number;
  private readonly output: string;
  private fusedConds: { readonly source: Float32Array | undefined; readonly batch: number; readonly data: Float32Array } | undefined;

  constructor(
    readonly session: Session,
    options: DenoiserOptions = {},
  ) {
    this.sampleInput = findInput(session, ['sample'], 'latent sample');
    this.timestepInput = findInput(session, ['timestep'], 'timestep');
    this.contextInput = findInput(session, ['encoder_hidden_states'], 'text embedding');
    this.timestepCondInput = session.inputs.find((i) => i.name === 'timestep_cond');
    const channels = this.sampleInput.shape[1];
    this.inChannels = typeof channels === 'number' ? channels : undefined;
    this.fixedBatchOne = this.sampleInput.shape[0] === 1;
    this.batchOnePasses = this.fixedBatchOne || options.batchOnePasses === true;
    const width = this.contextInput.shape[2];
    this.contextWidth = typeof width === 'number' ? width : undefined;
    this.residualInputs = residualOrder(session.inputs);
    const conds = session.inputs.find((i) => i.name === FUSED_CONDS);
    const hasScales = session.inputs.some((i) => i.name === FUSED_SCALES);
    this.controlLayout = this.residualInputs.length > 0 ? 'residual' : conds ? 'fused' : 'none';
    const count = conds?.shape[0];
    this.fusedCount = typeof count === 'number' ? count : conds ? 1 : 0;
    this.output = pickOutput(session, this.controlLayout === 'fused' ? 'noise_pred' : 'out_sample');

    const known = ['sample', 'timestep', 'encoder_hidden_states', 'timestep_cond', FUSED_CONDS, FUSED_SCALES];
    const extra = session.inputs.filter((i) => !known.includes(i.name) && !isResidualName(i.name));
    if (extra.length > 0) {
      throw new PipelineError('MODEL_UNSUPPORTED', `${session.file} needs inputs ${extra.map((i) => i.name).join(', ')}, which this version does not provide (an SDXL UNet?)`);
    }
    if (conds && !hasScales) throw new PipelineError('MODEL_INVALID', `${session.file} takes ${FUSED_CONDS} but no ${FUSED_SCALES}; a fused ControlNet UNet needs both`);
    if (this.residualInputs.length === 1) throw new PipelineError('MODEL_INVALID', `${session.file} takes one ControlNet residual; expected the down-block residuals and the mid-block residual`);
    if (this.inChannels !== undefined && this.inChannels !== 4 && this.inChannels !== 9) {
      throw new PipelineError('MODEL_UNSUPPORTED', `${session.file} takes ${this.inChannels} latent channels; Atelier runs 4-channel UNets and 9-channel inpainting UNets`);
    }
  }

  /** A 9-channel UNet takes mask and masked-image latents besides the noisy latents. */
  get isInpainting(): boolean {
    return this.inChannels === 9;
  }

  /** One noise prediction for the whole batch; splits into batch-1 runs when the graph or the options ask. */
  async predict(call: UNetCall): Promise<Float32Array> {
    if (this.batchOnePasses && call.batch > 1) {
      const part = (x: Float32Array, b: number): Float32Array => x.subarray((b * x.length) / call.batch, ((b + 1) * x.length) / call.batch);
      const parts: Float32Array[] = [];
      for (let b = 0; b < call.batch; b++) {
        parts.push(
          await this.run({
            ...call,
            batch: 1,
            sample: part(call.sample, b),
            encoderHiddenStates: part(call.encoderHiddenStates, b),
            timestepCond: call.timestepCond && part(call.timestepCond, b),
            residuals: call.residuals?.map((r) => ({ data: part(r.data, b), dims: [1, ...r.dims.slice(1)] })),
          }),
        );
      }
      return concatBatch(parts);
    }
    return this.run(call);
  }

  private async run(call: UNetCall): Promise<Float32Array> {
    const width = call.encoderHiddenStates.length / (call.batch * call.seqLength);
    const sample = this.isInpainting ? this.withInpaintChannels(call) : call.sample;
    const feeds: Record<string, TensorData> = {
      [this.sampleInput.name]: floatTensor(this.sampleInput, sample, [call.batch, this.isInpainting ? 9 : 4, call.height, call.width]),
      [this.timestepInput.name]: timestepTensor(this.timestepInput, call.timestep, call.batch),
      [this.contextInput.name]: floatTensor(this.contextInput, call.encoderHiddenStates, [call.batch, call.seqLength, width]),
    };
    if (this.timestepCondInput) {
      if (!call.timestepCond) throw new PipelineError('INTERNAL', 'LCM UNet called without its guidance embedding');
      const dim = call.timestepCond.length / call.batch;
      feeds[this.timestepCondInput.name] = floatTensor(this.timestepCondInput, call.timestepCond, [call.batch, dim]);
    }
    if (this.controlLayout === 'residual') this.feedResiduals(feeds, call);
    if (this.controlLayout === 'fused') this.feedFused(feeds, call);
    const result = await this.session.run(feeds);
    return readFloat(result[this.output], this.output);
  }

  private withInpaintChannels(call: UNetCall): Float32Array {
    const extra = call.inpaintChannels;
    if (!extra) throw new PipelineError('MODEL_UNSUPPORTED', `${this.session.file} is a 9-channel inpainting UNet; use it for inpainting or outpainting (with a mask)`);
    const latent = call.sample.length / call.batch;
    const out = new Float32Array(call.batch * (latent + extra.length));
    for (let b = 0; b < call.batch; b++) {
      out.set(call.sample.subarray(b * latent, (b + 1) * latent), b * (latent + extra.length));
      out.set(extra, b * (latent + extra.length) + latent);
    }
    return out;
  }

  private feedResiduals(feeds: Record<string, TensorData>, call: UNetCall): void {
    const residuals = call.residuals ?? residualShapes(this.residualInputs, call.batch, call.height, call.width).map((dims) => ({ data: new Float32Array(numel(dims)), dims }));
    if (residuals.length !== this.residualInputs.length) {
      throw new PipelineError('MODEL_INVALID', `the ControlNet returned ${residuals.length} residuals but ${this.session.file} takes ${this.residualInputs.length}; they are built for different base models`);
    }
    this.residualInputs.forEach((input, i) => {
      feeds[input.name] = floatTensor(input, residuals[i].data, residuals[i].dims);
    });
  }

  /**
   * The control images repeated per batch item, [numCN, batch, 3, H, W] (zeros without controls).
   * They are the same every step, so the last one built is kept rather than rebuilt per step.
   */
  private batchedConds(call: UNetCall): Float32Array {
    const image = 3 * call.height * 8 * call.width * 8;
    const cached = this.fusedConds;
    if (cached && cached.source === call.fused?.conds && cached.batch === call.batch && cached.data.length === this.fusedCount * call.batch * image) return cached.data;
    const data = new Float32Array(this.fusedCount * call.batch * image);
    const source = call.fused?.conds;
    if (source) for (let k = 0; k < this.fusedCount; k++) for (let b = 0; b < call.batch; b++) data.set(source.subarray(k * image, (k + 1) * image), (k * call.batch + b) * image);
    this.fusedConds = { source, batch: call.batch, data };
    return data;
  }

  private feedFused(feeds: Record<string, TensorData>, call: UNetCall): void {
    const condsInfo = findInput(this.session, [FUSED_CONDS], 'ControlNet images');
    const scalesInfo = findInput(this.session, [FUSED_SCALES], 'ControlNet scales');
    const count = this.fusedCount;
    const conds = this.batchedConds(call);
    const scales = new Float32Array(count);
    if (call.fused) scales.set(call.fused.scales);
    feeds[condsInfo.name] = floatTensor(condsInfo, conds, [count, call.batch, 3, call.height * 8, call.width * 8]);
    feeds[scalesInfo.name] = floatTensor(scalesInfo, scales, scalesInfo.shape.length === 2 ? [count, 1] : [count]);
  }
}
