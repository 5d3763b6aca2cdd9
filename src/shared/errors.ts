/**
 * Typed error codes that cross the worker↔host boundary. The pipeline reports *what* went wrong in
 * technical terms (argument, value, fix); only the host turns a code into words for the user.
 */
export type PipelineErrorCode =
  /** A request field is out of range or malformed; `argument` names it. */
  | 'INVALID_INPUT'
  /** A file the user named (image, prompt file, pose file) is missing, not a regular file, or over its size cap. */
  | 'FILE_UNREADABLE'
  /** A file the model folder needs is absent; the message names it. */
  | 'MODEL_MISSING_FILE'
  /** The folder holds something Atelier refuses to load (pickle checkpoint, escaping external data). */
  | 'MODEL_UNSAFE'
  /** A model family or layout this version does not run (SDXL, SD3, …). */
  | 'MODEL_UNSUPPORTED'
  /** Files are present but malformed (bad JSON, unexpected tensor names). */
  | 'MODEL_INVALID'
  /** A control needs a separate ControlNet of its type and none is installed; `argument` is the type. */
  | 'CONTROLNET_MISSING'
  /** Separate ControlNets need the model's controlnet/ UNet (layout c) and the model has none. */
  | 'CONTROLNET_UNET_MISSING'
  /** The job was cancelled by the user. */
  | 'CANCELLED'
  /** The worker or onnxruntime ran out of memory. */
  | 'OUT_OF_MEMORY'
  /** Checked before the job: it would not fit in the machine's available memory; the message names the need and a size that fits. */
  | 'NOT_ENOUGH_MEMORY'
  /** The execution provider that was forced could not be initialised. */
  | 'PROVIDER_FAILED'
  /** onnxruntime rejected or failed a run. */
  | 'INFERENCE_FAILED'
  /** The worker process died while the job ran (exit, signal, OOM kill). */
  | 'WORKER_CRASHED'
  /** The worker crashed too often; the supervisor stopped restarting it. */
  | 'WORKER_GAVE_UP'
  /** The worker stopped answering within its deadline. */
  | 'TIMEOUT'
  /** Saving the result failed (read-only folder, disk full). */
  | 'OUTPUT_FAILED'
  /** The Hub refused the request: gated or private repo without an accepted licence or token. */
  | 'HUB_AUTH_REQUIRED'
  /** The repo, revision or file does not exist on the Hub. */
  | 'HUB_NOT_FOUND'
  /** Offline mode (HF_HUB_OFFLINE) and the model is not in the cache. */
  | 'HUB_OFFLINE'
  /** The network or the server failed (DNS, refused, reset, 5xx). */
  | 'NETWORK_FAILED'
  /** Not enough free disk space; the message gives the bytes needed. */
  | 'DISK_FULL'
  /** Downloaded bytes do not match the advertised hash or size. */
  | 'INTEGRITY_FAILED'
  /** A remote backend (ComfyUI) cannot be reached or failed mid-request (refused, reset, 5xx); the message names the host. */
  | 'BACKEND_UNREACHABLE'
  /** The server answered but cannot serve the job: another kind of server, too old, a core node missing, a malformed answer or image. */
  | 'BACKEND_INCOMPATIBLE'
  /** The server asks for a token, or refused the one given (HTTP 401/403). */
  | 'BACKEND_AUTH_REQUIRED'
  /** A bug: anything not classified above. */
  | 'INTERNAL';

/** Plain, structured-clone-safe error payload. */
export interface PipelineErrorInfo {
  readonly code: PipelineErrorCode;
  /** Technical message: names the argument, the value and the fix where that applies. */
  readonly message: string;
  /** The request field or file at fault, when there is one. */
  readonly argument?: string;
  /** Extra diagnostic text for logs (stack, stderr tail); never shown as the headline. */
  readonly detail?: string;
}

/** An Error carrying a PipelineErrorInfo, thrown on both sides of the boundary. */
export class PipelineError extends Error {
  readonly code: PipelineErrorCode;
  readonly argument?: string;
  readonly detail?: string;

  constructor(code: PipelineErrorCode, message: string, options: { argument?: string; detail?: string } = {}) {
    super(message);
    this.name = 'PipelineError';
    this.code = code;
    this.argument = options.argument;
    this.detail = options.detail;
  }

  toInfo(): PipelineErrorInfo {
    return { code: this.code, message: this.message, argument: this.argument, detail: this.detail };
  }

  static fromInfo(info: PipelineErrorInfo): PipelineError {
    return new PipelineError(info.code, info.message, { argument: info.argument, detail: info.detail });
  }
}

/** Wraps anything thrown into a PipelineErrorInfo (unknown errors become INTERNAL). */
export function toErrorInfo(error: unknown): PipelineErrorInfo {
  if (error instanceof PipelineError) return error.toInfo();
  if (error instanceof Error) return { code: 'INTERNAL', message: error.message, detail: error.stack };
  return { code: 'INTERNAL', message: String(error) };
}
