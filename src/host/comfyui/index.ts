/**
 * The ComfyUI backend's public surface. The host's `Backend` for ComfyUI (issue 15, part 1) is meant to:
 * - `ComfyClient.connect(url, { token, timeouts, signal, log })` once per configured server (discovery:
 *   `client.info` has the version, devices/VRAM for the status bar, and the model, sampler and scheduler
 *   lists for the pickers; `offeredSamplers(info)` the Atelier samplers it can run);
 * - map its job to `ComfyWorkflowInput<RawImage>` (until the job type replaces it) and call
 *   `generateWithComfy(client, job, { signal, onProgress, onPreview })` / `upscaleWithComfy`: the result
 *   is RGB pixels to paste back (inpaint/outpaint) and save, with the checkpoint, sampler and prompt id
 *   for the metadata;
 * - `client.close()` when the settings change or the extension deactivates.
 * Errors are PipelineErrors (BACKEND_UNREACHABLE / BACKEND_INCOMPATIBLE / BACKEND_AUTH_REQUIRED / TIMEOUT,
 * INVALID_INPUT naming the setting, INFERENCE_FAILED / OUT_OF_MEMORY, CANCELLED), each naming the server.
 */
export { ComfyClient, type ComfyClientOptions, type RunOptions, type RunResult } from './client';
export { generateWithComfy, upscaleWithComfy, type ComfyJobResult, type ComfyTimings } from './comfyJob';
export { DEFAULT_TIMEOUTS, serverLabel, type ComfyTimeouts } from './connection';
export { describeDevice, type ComfyDevice, type ComfyServerInfo } from './discovery';
export type { ComfyPhase, ComfyProgress } from './jobTracker';
export { fromComfySampler, offeredSamplers, toComfySampler } from './samplers';
export type { ComfyControl, ComfyLora, ComfyUpscaleInput, ComfyWorkflowInput, RawImage } from './workflowInput';
