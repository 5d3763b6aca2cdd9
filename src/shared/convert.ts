/** The worker's checkpoint conversion request and result (`.safetensors` / diffusers folder → cached ONNX folder). */

export interface ConvertCheckpointParams {
  /** A single-file `.safetensors` checkpoint or a diffusers folder with safetensors weights. */
  readonly checkpoint: string;
  readonly loras: readonly { readonly file: string; readonly weight: number }[];
  readonly precision: 'fp32' | 'fp16';
  /** Overrides the prediction type the checkpoint implies (SD 2.x v-models cannot be told apart reliably). */
  readonly prediction?: 'epsilon' | 'v_prediction';
  /** Where converted folders are cached. */
  readonly cacheRoot: string;
}

export interface ConvertCheckpointResult {
  readonly modelDir: string;
  readonly reused: boolean;
  readonly family: 'sd1' | 'sd2' | 'sdxl';
  readonly inpainting: boolean;
  readonly prediction: 'epsilon' | 'v_prediction';
  readonly predictionWhy: string;
  readonly checkpointHash: string;
  /** Each LoRA merged, with A1111's 12-digit short hash (the "Lora hashes" metadata field). */
  readonly loras: readonly { readonly file: string; readonly weight: number; readonly modules: number; readonly unmatched: number; readonly examples: readonly string[]; readonly shortHash: string }[];
  readonly notes: readonly string[];
}

/** A model path the worker must convert first: a `.safetensors` file (not a folder of ONNX graphs). */
export function isCheckpointFile(modelPath: string): boolean {
  return /\.safetensors$/i.test(modelPath);
}

/** A1111's "Lora hashes" PNG-info value: `name: hash, name: hash`. */
export function a1111LoraHashes(loras: readonly { readonly name: string; readonly shortHash: string }[]): string {
  return loras.map((l) => `${l.name.replace(/[:,]/g, '_')}: ${l.shortHash}`).join(', ');
}
