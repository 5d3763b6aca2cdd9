/**
 * Separate ControlNet session (layout c): sample, timestep, text embeddings, `controlnet_cond` and
 * `conditioning_scale` in; the down-block and mid-block residuals out, in canonical order.
 */
import { PipelineError } from '../../../shared/errors';
import type { Session, TensorData, ValueInfo } from '../../backends/onnx';
import { concatBatch } from '../../ops/tensor';
import { findInput, floatTensor, readFloat, timestepTensor, type FloatTensor } from '../tensorIo';
import type { DenoiserInput, DenoiserOptions } from './unet';
import { residualOrder } from './unetInputs';

export interface ControlNetCall extends DenoiserInput {  /** [batch, 3, H, W] RGB in [0, 1] (the control image repeated per batch item; see `batchedCond`). */
  readonly cond: Float32Array;
  readonly scale: number;
}

/** The control image [3, H, W] repeated for a batch (built once per run, not per step). */
export function batchedCond(image: Float32Array, batch: number): Float32Array {
  const out = new Float32Array(batch * image.length);
  for (let b = 0; b < batch; b++) out.set(image, b * image.length);
  return out;
}

export class ControlNet {
  readonly sampleInput: ValueInfo;
  readonly timestepInput: ValueInfo;
  readonly contextInput: ValueInfo;
  readonly condInput: ValueInfo;
  readonly scaleInput: ValueInfo | undefined;
  readonly residualOutputs: readonly ValueInfo[];
  readonly contextWidth: number | undefined;
  readonly fixedBatchOne: boolean;
  readonly batchOnePasses: boolean;

  constructor(
    readonly session: Session,
    options: DenoiserOptions = {},
  ) {
    this.sampleInput = findInput(session, ['sample'], 'latent sample');
    this.timestepInput = findInput(session, ['timestep'], 'timestep');
    this.contextInput = findInput(session, ['encoder_hidden_states'], 'text embedding');
    this.condInput = findInput(session, ['controlnet_cond'], 'control image');
    this.scaleInput = session.inputs.find((i) => i.name === 'conditioning_scale');
    this.residualOutputs = residualOrder(session.outputs);
    if (this.residualOutputs.length < 2) {
      throw new PipelineError('MODEL_INVALID', `${session.file} does not return ControlNet residuals (down_block_N_additional_residual, mid_block_additional_residual); it has ${session.outputs.map((o) => o.name).join(', ')}`);
    }
    const extra = session.inputs.filter((i) => !['sample', 'timestep', 'encoder_hidden_states', 'controlnet_cond', 'conditioning_scale'].includes(i.name));
    if (extra.length > 0) throw new PipelineError('MODEL_UNSUPPORTED', `${session.file} needs inputs ${extra.map((i) => i.name).join(', ')} (an SDXL ControlNet?); this version runs SD 1.x/2.x ControlNets`);
    const width = this.contextInput.shape[2];
    this.contextWidth = typeof width === 'number' ? width : undefined;
    this.fixedBatchOne = this.sampleInput.shape[0] === 1;
    this.batchOnePasses = this.fixedBatchOne || options.batchOnePasses === true;
  }

  /** The residuals for one step, already multiplied by the scale. */
  async run(call: ControlNetCall): Promise<FloatTensor[]> {
    if (this.batchOnePasses && call.batch > 1) {
      const part = (x: Float32Array, b: number): Float32Array => x.subarray((b * x.length) / call.batch, ((b + 1) * x.length) / call.batch);
      const per: FloatTensor[][] = [];
      for (let b = 0; b < call.batch; b++) per.push(await this.runOnce({ ...call, batch: 1, sample: part(call.sample, b), encoderHiddenStates: part(call.encoderHiddenStates, b), cond: part(call.cond, b) }));
      return per[0].map((first, i) => ({ data: concatBatch(per.map((r) => r[i].data)), dims: [call.batch, ...first.dims.slice(1)] }));
    }
    return this.runOnce(call);
  }

  private async runOnce(call: ControlNetCall): Promise<FloatTensor[]> {
    const width = call.encoderHiddenStates.length / (call.batch * call.seqLength);
    const H = call.height * 8;
    const W = call.width * 8;
    const feeds: Record<string, TensorData> = {
      [this.sampleInput.name]: floatTensor(this.sampleInput, call.sample, [call.batch, 4, call.height, call.width]),
      [this.timestepInput.name]: timestepTensor(this.timestepInput, call.timestep, call.batch),
      [this.contextInput.name]: floatTensor(this.contextInput, call.encoderHiddenStates, [call.batch, call.seqLength, width]),
      [this.condInput.name]: floatTensor(this.condInput, call.cond, [call.batch, 3, H, W]),
    };
    if (this.scaleInput) feeds[this.scaleInput.name] = floatTensor(this.scaleInput, Float32Array.of(call.scale), this.scaleInput.shape.length === 0 ? [] : [1]);
    const result = await this.session.run(feeds);
    return this.residualOutputs.map((o) => {
      const tensor = result[o.name];
      const data = readFloat(tensor, o.name);
      // Without a conditioning_scale input the scale is applied here (a fresh copy: ORT owns `data`).
      return { data: this.scaleInput ? data : data.map((v) => v * call.scale), dims: tensor.dims };
    });
  }
}
