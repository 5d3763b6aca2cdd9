/** VAE decoder session: latents / scaling_factor [1,4,h,w] → image [1,3,8h,8w] in ≈[−1,1]. */
import type { Session } from '../../backends/onnx';
import { findInput, floatTensor, pickOutput, readFloat } from '../tensorIo';

export class VaeDecoder {
  private readonly output: string;

  constructor(readonly session: Session) {
    this.output = pickOutput(session, 'sample');
  }

  async decode(latents: Float32Array, height: number, width: number): Promise<{ image: Float32Array; height: number; width: number }> {
    const input = findInput(this.session, ['latent_sample'], 'latent');
    const result = await this.session.run({ [input.name]: floatTensor(input, latents, [1, 4, height, width]) });
    const tensor = result[this.output];
    return { image: readFloat(tensor, this.output), height: tensor.dims[2], width: tensor.dims[3] };
  }
}
