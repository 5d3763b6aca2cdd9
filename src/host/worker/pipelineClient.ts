/** What the host UI and the CLI need from inference; the worker supervisor implements it. */
import type { ConvertCheckpointParams, ConvertCheckpointResult } from '../../shared/convert';
import type { EventOf } from '../../shared/rpc';
import type { PipelineEvents } from '../../shared/protocol/pipeline';
import type { ControlNetSummary, DetectPoseResult, DetectRequest, SegmentPersonResult, UpscaleRequest, UpscaleResult, GenerationRequest, GenerationResult, ModelSummary, TokenizeParams, TokenizeResult } from '../../shared/request';

export type PipelineEvent = EventOf<PipelineEvents>;

export interface GenerateOptions {
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: PipelineEvent) => void;
}

export interface PipelineClient {
  generate(request: GenerationRequest, options?: GenerateOptions): Promise<GenerationResult>;
  tokenize(params: TokenizeParams): Promise<TokenizeResult>;
  upscale(request: UpscaleRequest, options?: GenerateOptions): Promise<UpscaleResult>;
  inspectModel(modelDir: string): Promise<ModelSummary>;
  /** Builds (or reuses) the cached ONNX folder of a `.safetensors` checkpoint, LoRAs merged; `converting` progress. */
  convertCheckpoint(params: ConvertCheckpointParams, options?: GenerateOptions): Promise<ConvertCheckpointResult>;
  /** Built-in MoveNet MultiPose on an image (seconds on CPU). */
  detectPose(request: DetectRequest): Promise<DetectPoseResult>;
  /** Built-in selfie segmentation on an image. */
  segmentPerson(request: DetectRequest): Promise<SegmentPersonResult>;
  listControlNets(roots: readonly string[]): Promise<readonly ControlNetSummary[]>;
  /** Frees the warm model sessions (restarts nothing). */
  releaseModels(): Promise<void>;
  /** Forgets past crashes and starts a fresh worker on the next job. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}
