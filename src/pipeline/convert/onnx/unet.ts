/**
 * UNet2DConditionModel (SD 1.x, SD 2.x, SDXL) with the interface of diffusers' ONNX export:
 * sample [batch,channels,height,width], timestep float [batch], encoder_hidden_states [batch,sequence,D]
 * (+ SDXL text_embeds [batch,1280], time_ids [batch,6]) → out_sample.
 */
import type { UnetSpec } from '../types';
import { resnet, sinusoidal, transformer2d } from './blocks';
import type { Builder } from './builder';

/** SDXL base conditions on 6 time ids (original size, crop, target size). */
const TIME_IDS = 6;

export async function buildUnet(b: Builder, spec: UnetSpec): Promise<void> {
  const g = b.g;
  const levels = spec.blockOutChannels.length;
  const heads = (level: number): number => spec.attentionHeadDim[level] ?? spec.attentionHeadDim[spec.attentionHeadDim.length - 1];
  const layers = (level: number): number => spec.transformerLayersPerBlock[level] ?? spec.transformerLayersPerBlock[spec.transformerLayersPerBlock.length - 1];

  // 1. Inputs.
  const sample = b.floatInput('sample', ['batch', 'channels', 'height', 'width']);
  g.input('timestep', 'float32', ['batch']);
  const context = b.floatInput('encoder_hidden_states', ['batch', 'sequence', spec.crossAttentionDim]);

  // 2. Time embedding (+ SDXL's text_time addition), SiLU'd once for every resnet.
  let temb = await b.linear(b.silu(await b.linear(sinusoidal(b, 'timestep', spec.blockOutChannels[0]), 'time_embedding.linear_1')), 'time_embedding.linear_2');
  if (spec.addition) {
    const textDim = spec.addition.projectionClassEmbeddingsInputDim - TIME_IDS * spec.addition.timeEmbedDim;
    const textEmbeds = b.floatInput('text_embeds', ['batch', textDim]);
    g.input('time_ids', 'float32', ['batch', TIME_IDS]);
    const ids = sinusoidal(b, g.op('Reshape', ['time_ids', b.ints([-1])]), spec.addition.timeEmbedDim);
    const timeEmbeds = g.op('Reshape', [ids, b.ints([-1, TIME_IDS * spec.addition.timeEmbedDim])]);
    const added = g.op('Concat', [textEmbeds, timeEmbeds], { axis: { int: 1 } });
    const aug = await b.linear(b.silu(await b.linear(added, 'add_embedding.linear_1')), 'add_embedding.linear_2');
    temb = g.op('Add', [temb, aug]);
  }
  const t = b.silu(temb);

  // 3. Down path, keeping every skip.
  let h = await b.conv(sample, 'conv_in');
  const skips = [h];
  for (let level = 0; level < levels; level += 1) {
    for (let j = 0; j < spec.layersPerBlock; j += 1) {
      h = await resnet(b, h, `down_blocks.${level}.resnets.${j}`, 1e-5, t);
      if (spec.downBlockHasAttention[level]) {
        h = await transformer2d(b, h, `down_blocks.${level}.attentions.${j}`, { heads: heads(level), layers: layers(level), linearProjection: spec.useLinearProjection, context });
      }
      skips.push(h);
    }
    if (level < levels - 1) {
      h = await b.conv(h, `down_blocks.${level}.downsamplers.0.conv`, { stride: 2 });
      skips.push(h);
    }
  }

  // 4. Middle.
  h = await resnet(b, h, 'mid_block.resnets.0', 1e-5, t);
  h = await transformer2d(b, h, 'mid_block.attentions.0', { heads: heads(levels - 1), layers: layers(levels - 1), linearProjection: spec.useLinearProjection, context });
  h = await resnet(b, h, 'mid_block.resnets.1', 1e-5, t);

  // 5. Up path: each resnet takes the next skip concatenated on channels.
  for (let i = 0; i < levels; i += 1) {
    const level = levels - 1 - i;
    for (let j = 0; j <= spec.layersPerBlock; j += 1) {
      const skip = skips.pop();
      if (!skip) throw new Error('UNet: the up path needs more skips than the down path made');
      h = await resnet(b, g.op('Concat', [h, skip], { axis: { int: 1 } }), `up_blocks.${i}.resnets.${j}`, 1e-5, t);
      if (spec.upBlockHasAttention[i]) {
        h = await transformer2d(b, h, `up_blocks.${i}.attentions.${j}`, { heads: heads(level), layers: layers(level), linearProjection: spec.useLinearProjection, context });
      }
    }
    if (i < levels - 1) h = await b.conv(b.upsampleNearest2x(h), `up_blocks.${i}.upsamplers.0.conv`);
  }

  // 6. Out.
  const out = await b.conv(b.silu(await b.groupNorm(h, 'conv_norm_out', 32, 1e-5)), 'conv_out');
  b.floatOutput(out, 'out_sample', ['batch', spec.outChannels, 'height', 'width']);
}
