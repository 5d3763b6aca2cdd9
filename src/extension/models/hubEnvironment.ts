/** Hub settings from the environment, as huggingface_hub reads them (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, …). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hubCacheRoot } from './hub/cacheLayout';
import type { HubConnection } from './hub/http';

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
    const token = readFileSync(env.HF_TOKEN_PATH ?? path.join(home, 'token'), 'utf8').trim();
    return token || undefined;
  } catch {
    return undefined;
  }
}

/** `token` (from VS Code SecretStorage) wins over HF_TOKEN, which wins over the stored CLI token. */
export function hubEnvironment(env: NodeJS.ProcessEnv = process.env, token?: string): HubEnvironment {
  return {
    connection: {
      endpoint: (env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
      token: token ?? env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN ?? storedToken(env),
      userAgent: 'atelier/0.1.0',
    },
    cacheRoot: hubCacheRoot(env),
    offline: TRUTHY.has((env.HF_HUB_OFFLINE ?? '').toLowerCase()),
  };
}
