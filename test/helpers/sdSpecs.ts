/** SdSpecs of the real architectures (SD 1.5 as diffusers configures it), for tests, tools and benches. */
import type { SdSpec } from '../../src/pipeline/convert/types';

export const SD15_SPEC: SdSpec = {
  family: 'sd1',
  prediction: 'epsilon',
  unet: {
    inChannels: 4,
    outChannels: 4,
    blockOutChannels: [320, 640, 1280, 1280],
    layersPerBlock: 2,
    attentionHeadDim: [8, 8, 8, 8],
    crossAttentionDim: 768,
    transformerLayersPerBlock: [1, 1, 1, 1],
    useLinearProjection: false,
    downBlockHasAttention: [true, true, true, false],
    upBlockHasAttention: [false, true, true, true],
  },
  textEncoders: [{ hiddenSize: 768, layers: 12, heads: 12, intermediateSize: 3072, activation: 'quick_gelu', maxPositions: 77, vocabSize: 49408 }],
  vae: { blockOutChannels: [128, 256, 512, 512], layersPerBlock: 2, latentChannels: 4, scalingFactor: 0.18215 },
};

/** SD 1.x's structure at toy width: 2 UNet levels (cross-attention down, plain down; plain up, cross-attention up), 4 VAE levels (×8). */
export const TINY_SD1_SPEC: SdSpec = {
  family: 'sd1',
  prediction: 'epsilon',
  unet: {
    inChannels: 4,
    outChannels: 4,
    blockOutChannels: [32, 64],
    layersPerBlock: 1,
    attentionHeadDim: [2, 2],
    crossAttentionDim: 32,
    transformerLayersPerBlock: [1, 1],
    useLinearProjection: false,
    downBlockHasAttention: [true, false],
    upBlockHasAttention: [false, true],
  },
  textEncoders: [{ hiddenSize: 32, layers: 2, heads: 2, intermediateSize: 64, activation: 'quick_gelu', maxPositions: 77, vocabSize: 49408 }],
  vae: { blockOutChannels: [32, 32, 32, 32], layersPerBlock: 1, latentChannels: 4, scalingFactor: 0.18215 },
};

/** SDXL's structure at toy width: linear projections, per-level heads and depths, text_time embeds, two encoders. */
export const TINY_SDXL_SPEC: SdSpec = {
  family: 'sdxl',
  prediction: 'epsilon',
  unet: {
    inChannels: 4,
    outChannels: 4,
    blockOutChannels: [32, 64],
    layersPerBlock: 1,
    attentionHeadDim: [1, 2],
    crossAttentionDim: 64,
    transformerLayersPerBlock: [1, 2],
    useLinearProjection: true,
    downBlockHasAttention: [false, true],
    upBlockHasAttention: [true, false],
    addition: { timeEmbedDim: 8, projectionClassEmbeddingsInputDim: 32 + 6 * 8 },
  },
  textEncoders: [
    { hiddenSize: 32, layers: 2, heads: 2, intermediateSize: 64, activation: 'quick_gelu', maxPositions: 77, vocabSize: 49408 },
    { hiddenSize: 32, layers: 3, heads: 2, intermediateSize: 64, activation: 'gelu', maxPositions: 77, vocabSize: 49408, projectionDim: 32 },
  ],
  vae: { blockOutChannels: [32, 32, 32, 32], layersPerBlock: 1, latentChannels: 4, scalingFactor: 0.13025 },
};
