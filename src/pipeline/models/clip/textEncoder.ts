/** CLIP text encoder session: token ids → last_hidden_state [1, 77, D]. */
import type { Session } from '../../backends/onnx';
import { findInput, idsTensor, pickOutput, readFloat } from '../tensorIo';

export class TextEncoder {
  private readonly output: string;

  constructor(readonly session: Session) {
    this.output = pickOutput(session, 'last_hidden_state');
  }

  /** Encodes one padded prompt; returns [1, seq, D] as a flat array plus D. */
  async encode(ids: readonly number[]): Promise<{ hidden: Float32Array; seqLength: number; width: number }> {
    const input = findInput(this.session, ['input_ids'], 'token ids');
    const result = await this.session.run({ [input.name]: idsTensor(input, ids, [1, ids.length]) });
    const tensor = result[this.output];
    const hidden = readFloat(tensor, this.output);
    return { hidden, seqLength: tensor.dims[1], width: tensor.dims[2] };
  }
}
