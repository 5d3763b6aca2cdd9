/**
 * VAE encoder session: image [1,3,H,W] in [−1,1] → unscaled latents [1,4,h,w]. Exporters differ:
 * `latent_sample` is already sampled; `latent_parameters` is concat(mean, logvar) with 8 channels,
 * of which Atelier takes the mean, so img2img stays deterministic for a seed.
 */
import { PipelineError } from '../../../shared/errors';
import type { Session } from '../../backends/onnx';
import { findInput, floatTensor, readFloat } from '../tensorIo';

export class VaeEncoder {
  constructor(readonly session: Session) {}

  async encode(image: Float32Array, height: number, width: number): Promise<Float32Array> {
    const input = findInput(this.session, ['sample'], 'image');
    const result = await this.session.run({ [input.name]: floatTensor(input, image, [1, 3, height, width]) });
    const sampled = result.latent_sample;
    if (sampled) return readFloat(sampled, 'latent_sample');
    const parameters = result.latent_parameters;
    if (parameters) {
      const values = readFloat(parameters, 'latent_parameters');
      if (parameters.dims[1] !== 8) throw new PipelineError('MODEL_INVALID', `latent_parameters has ${parameters.dims[1]} channels; expected 8 (mean and log-variance)`);
      return values.slice(0, values.length / 2); // channels 0–3: the mean
    }
    throw new PipelineError('MODEL_INVALID', `${this.session.file} returns neither latent_sample nor latent_parameters`);
  }
}
