/**
 * A generation job: everything a backend needs to run it and the host needs to save it, built once by
 * `buildJob` from settings and UI state. Serializable (plain data and typed arrays).
 */
import type { GenerationRequest } from '../../shared/request';

/**
 * A LoRA to apply, by the name its backend lists. Placeholder: the local ONNX pipeline does not apply
 * LoRAs yet (a job that names one is refused there); the ComfyUI backend chains LoraLoader nodes.
 */
export interface LoraChoice {
  readonly name: string;
  readonly weight: number;
}

/** Where the result is saved: a new file `<stem><ext>` in `dir` (never overwriting). */
export interface JobOutput {
  readonly dir: string;
  readonly stem: string;
  /** `.png` unless the user named a `.jpg`/`.webp` file. */
  readonly ext?: string;
}

/** How the metadata names the files the job was made from (workspace-relative path, file name or canvas layer). */
export interface JobLabels {
  readonly initImageLabel?: string;
  readonly maskLabel?: string;
  readonly controlLabels?: readonly string[];
}

/** The files a job read, by absolute path, so its recipe can name them (absent for canvas layers and pasted images). */
export interface JobFiles {
  readonly init?: string;
  readonly mask?: string;
  /** One per control, in request order. */
  readonly controls?: readonly string[];
}

export interface GenerationJob {
  /** Kind, model, prompt, negative prompt, sampling with the seed already drawn, size, images, mask, controls. */
  readonly request: GenerationRequest;
  readonly loras: readonly LoraChoice[];
  readonly output: JobOutput;
  readonly labels: JobLabels;
  readonly files?: JobFiles;
}
