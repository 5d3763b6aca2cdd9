/** UNet session adapter: reads the declared interface once and feeds every exporter variant. */
import { PipelineError } from '../../../shared/errors';
import type { Session, TensorData, ValueInfo } from '../../backends/onnx';
import { concatBatch } from '../../ops/tensor';
import { findInput, floatTensor, pickOutput, readFloat, timestepTensor } from '../tensorIo';

export interface UNetCall {
  /** [batch, 4, h, w] latents, already scaled by the scheduler. */
  readonly sample: Float32Array;
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly timestep: number;
  /** [batch, seq, D] text embeddings. */
  readonly encoderHiddenStates: Float32Array;
  readonly seqLength: number;
  /** LCM guidance embedding [batch, timeCondDim] when the UNet takes `timestep_cond`. */
  readonly timestepCond?: Float32Array;
}

export class UNet {
  readonly sampleInput: ValueInfo;
  readonly timestepInput: ValueInfo;
  readonly contextInput: ValueInfo;
  readonly timestepCondInput: ValueInfo | undefined;
  readonly inChannels: number | undefined;
  /** The batch axis is fixed to 1: CFG then runs the conditional and unconditional passes separately. */
  readonly fixedBatchOne: boolean;
  /** Cross-attention width D when the graph declares it. */
  readonly contextWidth: number | undefined;
  private readonly output: string;

  constructor(readonly session: Session) {
    this.sampleInput = findInput(session, ['sample'], 'latent sample');
    this.timestepInput = findInput(session, ['timestep'], 'timestep');
    this.contextInput = findInput(session, ['encoder_hidden_states'], 'text embedding');
    this.timestepCondInput = session.inputs.find((i) => i.name === 'timestep_cond');
    const channels = this.sampleInput.shape[1];
    this.inChannels = typeof channels === 'number' ? channels : undefined;
    this.fixedBatchOne = this.sampleInput.shape[0] === 1;
    const width = this.contextInput.shape[2];
    this.contextWidth = typeof width === 'number' ? width : undefined;
    this.output = pickOutput(session, 'out_sample');
    const extra = session.inputs.filter((i) => !['sample', 'timestep', 'encoder_hidden_states', 'timestep_cond'].includes(i.name));
    if (extra.length > 0) {
      throw new PipelineError('MODEL_UNSUPPORTED', `${session.file} needs inputs ${extra.map((i) => i.name).join(', ')}, which txt2img does not provide (SDXL or ControlNet UNet?)`);
    }
    if (this.inChannels !== undefined && this.inChannels !== 4) {
      throw new PipelineError('MODEL_UNSUPPORTED', `${session.file} takes ${this.inChannels} latent channels; txt2img needs a 4-channel UNet (a 9-channel UNet is an inpainting model)`);
    }
  }

  /** One noise prediction for the whole batch; splits into batch-1 runs when the graph demands it. */
  async predict(call: UNetCall): Promise<Float32Array> {
    if (this.fixedBatchOne && call.batch > 1) {
      const sampleSize = call.sample.length / call.batch;
      const contextSize = call.encoderHiddenStates.length / call.batch;
      const condSize = call.timestepCond ? call.timestepCond.length / call.batch : 0;
      const parts: Float32Array[] = [];
      for (let b = 0; b < call.batch; b++) {
        parts.push(
          await this.run({
            ...call,
            batch: 1,
            sample: call.sample.subarray(b * sampleSize, (b + 1) * sampleSize),
            encoderHiddenStates: call.encoderHiddenStates.subarray(b * contextSize, (b + 1) * contextSize),
            timestepCond: call.timestepCond?.subarray(b * condSize, (b + 1) * condSize),
          }),
        );
      }
      return concatBatch(parts);
    }
    return this.run(call);
  }

  private async run(call: UNetCall): Promise<Float32Array> {
    const width = call.encoderHiddenStates.length / (call.batch * call.seqLength);
    const feeds: Record<string, TensorData> = {
      [this.sampleInput.name]: floatTensor(this.sampleInput, call.sample, [call.batch, 4, call.height, call.width]),
      [this.timestepInput.name]: timestepTensor(this.timestepInput, call.timestep, call.batch),
      [this.contextInput.name]: floatTensor(this.contextInput, call.encoderHiddenStates, [call.batch, call.seqLength, width]),
    };
    if (this.timestepCondInput) {
      if (!call.timestepCond) throw new PipelineError('INTERNAL', 'LCM UNet called without its guidance embedding');
      const dim = call.timestepCond.length / call.batch;
      feeds[this.timestepCondInput.name] = floatTensor(this.timestepCondInput, call.timestepCond, [call.batch, dim]);
    }
    const result = await this.session.run(feeds);
    return readFloat(result[this.output], this.output);
  }
}
