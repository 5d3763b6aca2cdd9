/**
 * The seam between reading a checkpoint (safetensors file or diffusers folder, LoRAs merged) and building the
 * ONNX graphs from it. Readers produce a WeightSource in diffusers naming plus an SdSpec; graph builders consume
 * both and write a model folder in the diffusers/optimum ONNX layout the pipeline already runs.
 */

export type SourceDType = 'F32' | 'F16' | 'BF16';

/** One tensor as the checkpoint stores it. `name` is in diffusers naming with a component prefix. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: SourceDType;
  readonly shape: readonly number[];
}

/**
 * Weights in diffusers naming, component-prefixed: `unet.<diffusers UNet2DConditionModel key>`,
 * `text_encoder.<transformers CLIPTextModel key>`, `text_encoder_2.<CLIPTextModelWithProjection key>` (SDXL),
 * `vae.<AutoencoderKL key>`. Reads are one tensor at a time so a builder never holds the whole checkpoint.
 */
export interface WeightSource {
  names(): readonly string[];
  info(name: string): TensorInfo | undefined;
  /** The tensor as float32 (fp16/bf16 widened; LoRA deltas already merged). Throws naming the key if absent. */
  read(name: string): Promise<Float32Array>;
}

export type SdFamily = 'sd1' | 'sd2' | 'sdxl';
export type Prediction = 'epsilon' | 'v_prediction';

/** The subset of diffusers' UNet2DConditionModel config the graph needs. */
export interface UnetSpec {
  readonly inChannels: 4 | 9;
  readonly outChannels: number;
  readonly blockOutChannels: readonly number[];
  readonly layersPerBlock: number;
  /** diffusers' `attention_head_dim` (per block; SD 1.x: 8 = heads, SD 2.x: [5,10,20,20] = heads per block). */
  readonly attentionHeadDim: readonly number[];
  readonly crossAttentionDim: number;
  readonly transformerLayersPerBlock: readonly number[];
  /** SD 2.x and SDXL use Linear proj_in/proj_out in transformers; SD 1.x uses 1×1 Conv. */
  readonly useLinearProjection: boolean;
  /** Which down/up blocks carry cross-attention, in diffusers order. */
  readonly downBlockHasAttention: readonly boolean[];
  readonly upBlockHasAttention: readonly boolean[];
  /** SDXL: `addition_embed_type: "text_time"` with these dims; absent for SD 1.x/2.x. */
  readonly addition?: { readonly timeEmbedDim: number; readonly projectionClassEmbeddingsInputDim: number };
}

/** The subset of transformers' CLIPTextConfig the graph needs. */
export interface TextEncoderSpec {
  readonly hiddenSize: number;
  readonly layers: number;
  readonly heads: number;
  readonly intermediateSize: number;
  readonly activation: 'quick_gelu' | 'gelu';
  readonly maxPositions: number;
  readonly vocabSize: number;
  /** CLIPTextModelWithProjection (SDXL's second encoder): output text_embeds through text_projection. */
  readonly projectionDim?: number;
}

/** The subset of diffusers' AutoencoderKL config the graph needs. */
export interface VaeSpec {
  readonly blockOutChannels: readonly number[];
  readonly layersPerBlock: number;
  readonly latentChannels: number;
  readonly scalingFactor: number;
}

export interface SdSpec {
  readonly family: SdFamily;
  readonly prediction: Prediction;
  readonly unet: UnetSpec;
  readonly textEncoders: readonly TextEncoderSpec[];
  readonly vae: VaeSpec;
}

export type ConvertPrecision = 'fp32' | 'fp16';

export interface ConvertProgress {
  readonly stage: 'text_encoder' | 'text_encoder_2' | 'unet' | 'vae_encoder' | 'vae_decoder' | 'files';
  readonly done: number;
  readonly total: number;
}

export interface WriteFolderOptions {
  readonly precision: ConvertPrecision;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ConvertProgress) => void;
}

/**
 * Writes `<outDir>/{text_encoder,unet,vae_decoder,vae_encoder}/model.onnx` (+ external weights), with the tensor
 * interfaces of diffusers' own ONNX export (../shared/reference/onnx-interfaces.md). Tokenizer, scheduler config
 * and model_index.json are the caller's job.
 */
export type WriteOnnxFolder = (weights: WeightSource, spec: SdSpec, outDir: string, options: WriteFolderOptions) => Promise<void>;
