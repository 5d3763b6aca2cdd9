/**
 * Which backend the editor runs jobs on, read from `atelier.backend` and `atelier.comfyui.url` as
 * VS Code's `inspect()` reports them. The URL decides where prompts and images go, so only the
 * user's own (or the remote machine's) settings count for it: a workspace value never redirects
 * jobs, trusted or not. In Restricted Mode the workspace cannot switch the backend either.
 */
import { parseComfyUrl } from '../comfyui/connection';

export type BackendKind = 'local' | 'comfyui';

/** The layers of one setting, as `WorkspaceConfiguration.inspect` returns them. */
export interface InspectedSetting {
  readonly defaultValue?: unknown;
  readonly globalValue?: unknown;
  readonly workspaceValue?: unknown;
  readonly workspaceFolderValue?: unknown;
}

export type BackendSetting =
  | { readonly kind: 'local'; readonly ignored?: string }
  | { readonly kind: 'comfyui'; readonly url: string; readonly ignored?: string }
  /** comfyui chosen, but no usable URL in the user settings: `problem` says what to set. */
  | { readonly kind: 'unconfigured'; readonly problem: string; readonly ignored?: string };

const isKind = (v: unknown): v is BackendKind => v === 'local' || v === 'comfyui';
const workspaceLayer = (s: InspectedSetting): unknown => s.workspaceFolderValue ?? s.workspaceValue;

export function resolveBackendSetting(backend: InspectedSetting, url: InspectedSetting, trusted: boolean): BackendSetting {
  const ignoredNotes: string[] = [];
  // 1. The backend: the workspace may choose it when trusted.
  const fromWorkspace = workspaceLayer(backend);
  let kind: BackendKind = isKind(backend.globalValue) ? backend.globalValue : isKind(backend.defaultValue) ? backend.defaultValue : 'local';
  if (isKind(fromWorkspace)) {
    if (trusted) kind = fromWorkspace;
    else if (fromWorkspace !== kind) ignoredNotes.push(`the workspace's atelier.backend ("${fromWorkspace}") is ignored in Restricted Mode`);
  }
  // 2. The URL: user (or remote machine) settings only.
  const fromWorkspaceUrl = workspaceLayer(url);
  if (typeof fromWorkspaceUrl === 'string' && fromWorkspaceUrl.trim() !== '' && fromWorkspaceUrl !== url.globalValue) {
    ignoredNotes.push(`the workspace's atelier.comfyui.url (${JSON.stringify(fromWorkspaceUrl)}) is ignored: the server is a user setting, so a workspace cannot send your prompts and images elsewhere`);
  }
  const ignored = ignoredNotes.length > 0 ? ignoredNotes.join('; ') : undefined;
  const extra = ignored ? { ignored } : {};
  if (kind === 'local') return { kind, ...extra };
  const userUrl = typeof url.globalValue === 'string' ? url.globalValue.trim() : '';
  if (userUrl === '') {
    return { kind: 'unconfigured', problem: 'atelier.backend is "comfyui" but atelier.comfyui.url is not set in your user settings: set it to the server\'s address, e.g. http://127.0.0.1:8188', ...extra };
  }
  try {
    parseComfyUrl(userUrl);
  } catch (error) {
    return { kind: 'unconfigured', problem: `atelier.comfyui.url: ${(error as Error).message}`, ...extra };
  }
  return { kind: 'comfyui', url: userUrl, ...extra };
}

/**
 * The SecretStorage key of a server's token: one per server (origin and base path), so a token
 * stored for one server is never sent to another after the URL changes.
 */
export function tokenKey(url: string): string {
  const base = parseComfyUrl(url);
  return `atelier.comfyui.token:${base.origin}${base.pathname}`;
}
