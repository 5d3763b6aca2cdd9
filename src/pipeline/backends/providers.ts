/** Execution-provider choice per platform (pure, so it is testable without onnxruntime). */
import type { ExecutionProviderName, ExecutionProviderPreference } from '../../shared/request';

export interface ProviderPlan {
  /** Providers to try in order; each attempt is a fresh session with exactly that provider. */
  readonly candidates: readonly ExecutionProviderName[];
  /** True when the user forced a provider: a failure is then an error, not a fallback. */
  readonly forced: boolean;
}

export interface PlatformFacts {
  readonly platform: NodeJS.Platform;
  readonly arch: string;
  /** onnxruntime-node's CUDA provider libraries are installed (Linux x64 only). */
  readonly cudaLibrariesPresent: boolean;
}

/**
 * auto: CUDA on Linux when its provider libraries are installed, DirectML on Windows, CoreML on macOS,
 * each followed by CPU; CPU elsewhere. A named provider is tried alone.
 */
export function planProviders(preference: ExecutionProviderPreference, facts: PlatformFacts): ProviderPlan {
  if (preference !== 'auto') return { candidates: [preference], forced: true };
  if (facts.platform === 'linux' && facts.arch === 'x64' && facts.cudaLibrariesPresent) return { candidates: ['cuda', 'cpu'], forced: false };
  if (facts.platform === 'win32') return { candidates: ['dml', 'cpu'], forced: false };
  if (facts.platform === 'darwin') return { candidates: ['coreml', 'cpu'], forced: false };
  return { candidates: ['cpu'], forced: false };
}
