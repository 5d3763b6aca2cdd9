/** Hub settings from the environment, as huggingface_hub reads them (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, …). */
import path from 'node:path';
import { hubCacheRoot } from './hub/cacheLayout';
import { DEFAULT_TIMEOUTS, type HubConnection, type NetworkTimeouts } from './hub/http';
import { PipelineError } from '../../shared/errors';
import { FILE_KINDS, readBoundedSync } from '../../shared/files/boundedRead';

export interface HubEnvironment {
  readonly connection: HubConnection;
  readonly cacheRoot: string;
  readonly offline: boolean;
}

const TRUTHY = new Set(['1', 'true', 'yes', 'on']);

/** The token huggingface-cli login stores at $HF_HOME/token (~/.cache/huggingface/token). */
function storedToken(env: NodeJS.ProcessEnv): string | undefined {
  const home = env.HF_HOME ? path.resolve(env.HF_HOME) : path.join(env.XDG_CACHE_HOME ?? path.join(env.HOME ?? '', '.cache'), 'huggingface');
  try {
    const token = readBoundedSync(env.HF_TOKEN_PATH ?? path.join(home, 'token'), FILE_KINDS.smallText).toString('utf8').trim();
    return token || undefined;
  } catch {
    return undefined;
  }
}

/** Seconds (a decimal number > 0, fractions allowed) → milliseconds; `what` names the source in the error. */
export function timeoutSeconds(what: string, raw: string): number {
  const value = Number(raw);
  if (!/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(raw) || !(value > 0) || value > 86_400) {
    throw new PipelineError('INVALID_INPUT', `${what} must be a number of seconds from 0.001 to 86400, got ${JSON.stringify(raw)}`, { argument: what });
  }
  return Math.round(value * 1000);
}

/** ATELIER_CONNECT_TIMEOUT / ATELIER_IDLE_TIMEOUT (seconds) over the defaults. */
export function timeoutsFromEnv(env: NodeJS.ProcessEnv): NetworkTimeouts {
  return {
    connectMs: env.ATELIER_CONNECT_TIMEOUT ? timeoutSeconds('ATELIER_CONNECT_TIMEOUT', env.ATELIER_CONNECT_TIMEOUT) : DEFAULT_TIMEOUTS.connectMs,
    idleMs: env.ATELIER_IDLE_TIMEOUT ? timeoutSeconds('ATELIER_IDLE_TIMEOUT', env.ATELIER_IDLE_TIMEOUT) : DEFAULT_TIMEOUTS.idleMs,
  };
}

function withDefaults(timeouts: Partial<NetworkTimeouts> | undefined, env: NodeJS.ProcessEnv): NetworkTimeouts {
  const fromEnv = timeoutsFromEnv(env);
  return { connectMs: timeouts?.connectMs ?? fromEnv.connectMs, idleMs: timeouts?.idleMs ?? fromEnv.idleMs };
}

/**
 * `token` (from VS Code SecretStorage) wins over HF_TOKEN, which wins over the stored CLI token;
 * `timeouts` (VS Code settings, CLI flags) win over ATELIER_CONNECT_TIMEOUT / ATELIER_IDLE_TIMEOUT.
 */
export function hubEnvironment(env: NodeJS.ProcessEnv = process.env, token?: string, timeouts?: Partial<NetworkTimeouts>): HubEnvironment {
  return {
    connection: {
      endpoint: (env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
      token: token ?? env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN ?? storedToken(env),
      userAgent: 'atelier/0.1.0',
      timeouts: withDefaults(timeouts, env),
    },
    cacheRoot: hubCacheRoot(env),
    offline: TRUTHY.has((env.HF_HUB_OFFLINE ?? '').toLowerCase()),
  };
}
