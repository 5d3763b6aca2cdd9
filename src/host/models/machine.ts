/** The execution providers this machine can offer, checked without loading onnxruntime. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ExecutionProviderName } from '../../shared/request';
import { machineProviders } from './catalogue';

/** onnxruntime-node's CUDA provider libraries (present when its install step fetched them). */
export function cudaLibraries(extensionPath: string): boolean {
  return process.platform === 'linux' && existsSync(path.join(extensionPath, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'));
}

export function thisMachineProviders(extensionPath: string): ExecutionProviderName[] {
  return machineProviders(process.platform, process.arch, cudaLibraries(extensionPath));
}

/** Does the model folder have the UNet that takes separate ControlNets' residuals (layout c)? */
export function hasControlNetUnet(modelDir: string): boolean {
  return existsSync(path.join(modelDir, 'controlnet', 'model.onnx'));
}
