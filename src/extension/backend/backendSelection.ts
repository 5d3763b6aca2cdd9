/**
 * The backend jobs run on, as `atelier.backend` and `atelier.comfyui.url` choose it (see
 * backendSetting.ts for the trust rules), with the ComfyUI token from SecretStorage, and the status
 * bar item naming the server, its device and VRAM (or saying it is down).
 */
import * as vscode from 'vscode';
import { toErrorInfo } from '../../shared/errors';
import { PipelineError } from '../../shared/errors';
import type { Backend, BackendCallbacks, BackendCapabilities } from '../../host/backend/backend';
import { resolveBackendSetting, tokenKey, type BackendSetting } from '../../host/backend/backendSetting';
import { ComfyBackend } from '../../host/backend/comfyBackend';
import { describeDevice, serverLabel } from '../../host/comfyui';
import { parseComfyUrl } from '../../host/comfyui/connection';
import type { GenerationJob } from '../../host/jobs/job';
import type { UpscaleRequest } from '../../shared/request';

/** Reads the two settings with Workspace Trust applied. */
export function readBackendSetting(): BackendSetting {
  const c = vscode.workspace.getConfiguration('atelier');
  return resolveBackendSetting(c.inspect('backend') ?? {}, c.inspect('comfyui.url') ?? {}, vscode.workspace.isTrusted);
}

const COMFY_CAPABILITIES: BackendCapabilities = new ComfyBackend({ url: 'http://127.0.0.1:8188' }).capabilities();

export class BackendSelection implements vscode.Disposable {
  private comfy?: { key: string; url: string; backend: ComfyBackend };
  private readonly status: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private warnedIgnored?: string;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly local: () => Backend,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.status = vscode.window.createStatusBarItem('atelier.backend', vscode.StatusBarAlignment.Right, 90);
    this.status.name = 'Atelier Backend';
    this.status.command = 'atelier.checkComfyServer';
    this.disposables.push(
      this.status,
      vscode.workspace.onDidChangeConfiguration((e) => {
        // Only a change of server matters: picking another checkpoint must not drop a running job's connection.
        if (e.affectsConfiguration('atelier.backend') || e.affectsConfiguration('atelier.comfyui.url')) this.reset(true);
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.reset(true)),
      context.secrets.onDidChange((e) => {
        if (e.key.startsWith('atelier.comfyui.token:')) this.reset();
      }),
    );
    this.reset();
  }

  /** The setting now; a workspace value that was ignored is logged once. */
  setting(): BackendSetting {
    const setting = readBackendSetting();
    if (setting.ignored && setting.ignored !== this.warnedIgnored) {
      this.warnedIgnored = setting.ignored;
      this.log.warn(setting.ignored);
    }
    return setting;
  }

  /** The backend for the next job. */
  backend(): Backend {
    const setting = this.setting();
    if (setting.kind === 'local') return this.local();
    if (setting.kind === 'unconfigured') return refusingBackend(setting.problem, this.local);
    return this.observed(this.comfyFor(setting.url));
  }

  /** The ComfyUI backend of the configured server (created once per URL). */
  private comfyFor(url: string): ComfyBackend {
    const key = tokenKey(url);
    if (this.comfy?.key !== key) {
      this.comfy?.backend.close();
      const backend = new ComfyBackend({
        url,
        tokenSource: async () => (await this.context.secrets.get(key)) || undefined,
        log: (level, message) => this.log[level](message),
      });
      this.comfy = { key, url, backend };
    }
    return this.comfy.backend;
  }

  /** Jobs that fail to reach the server clear the status bar's state and reconnect next time. */
  private observed(backend: ComfyBackend): Backend {
    const watch = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        const value = await work();
        void this.showConnected(backend);
        return value;
      } catch (error) {
        const { code, message } = toErrorInfo(error);
        if (code === 'BACKEND_UNREACHABLE' || code === 'BACKEND_AUTH_REQUIRED' || code === 'BACKEND_INCOMPATIBLE' || code === 'TIMEOUT') {
          this.dropClient();
          this.showDown(message);
        }
        throw error;
      }
    };
    return {
      capabilities: () => backend.capabilities(),
      generate: (job: GenerationJob, callbacks?: BackendCallbacks) => watch(() => backend.generate(job, callbacks)),
      // The editor's Upscale commands use the built-in ESRGAN, small enough to run here, whatever the backend.
      upscale: (request: UpscaleRequest, callbacks?: BackendCallbacks) => this.local().upscale(request, callbacks),
      listModels: () => watch(() => backend.listModels()),
      listControlNets: () => watch(() => backend.listControlNets()),
    };
  }

  private dropClient(): void {
    this.comfy?.backend.close();
    this.comfy = undefined;
  }

  /** Connects now (the status bar's command): shows the server, or why it cannot be reached. */
  async check(): Promise<boolean> {
    const setting = this.setting();
    if (setting.kind === 'local') {
      this.status.hide();
      void vscode.window.showInformationMessage('Atelier runs jobs locally (atelier.backend is "local"). Set atelier.backend to "comfyui" and atelier.comfyui.url to use a ComfyUI server.');
      return false;
    }
    if (setting.kind === 'unconfigured') {
      this.showDown(setting.problem);
      return false;
    }
    this.dropClient();
    const backend = this.comfyFor(setting.url);
    this.status.text = `$(sync~spin) ComfyUI`;
    this.status.tooltip = `Connecting to ${serverLabel(parseComfyUrl(setting.url))}…`;
    this.status.show();
    try {
      await backend.client();
      await this.showConnected(backend);
      return true;
    } catch (error) {
      this.dropClient();
      this.showDown(toErrorInfo(error).message);
      throw error;
    }
  }

  /** The server, its first device and free VRAM (asked now; the connect-time figures if that fails). */
  private async showConnected(backend: ComfyBackend): Promise<void> {
    const client = await backend.client();
    const devices = await client.devices().catch(() => client.info.devices);
    const device = devices[0];
    const gib = (n: number): string => (n / 1024 ** 3).toFixed(1);
    const vram = device?.vramTotal ? ` · ${device.vramFree !== undefined ? `${gib(device.vramFree)}/` : ''}${gib(device.vramTotal)} GiB` : '';
    this.status.text = `$(server) ${client.label.replace(/^ComfyUI at /, 'ComfyUI ')}${device ? ` · ${device.name.replace(/^cuda:\d+\s+/, '').replace(/\s*:\s*cudaMallocAsync$/, '')}` : ''}${vram}`;
    this.status.tooltip = `Atelier runs jobs on ${client.label}${client.info.version ? ` (ComfyUI ${client.info.version})` : ''}\n${devices.map(describeDevice).join('\n')}\n${client.info.checkpoints.length} checkpoints. Click to reconnect.`;
    this.status.backgroundColor = undefined;
    this.status.show();
  }

  private showDown(message: string): void {
    this.status.text = '$(warning) ComfyUI: not connected';
    this.status.tooltip = `${message}\nClick to try again.`;
    this.status.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    this.status.show();
  }

  /**
   * Settings or token changed: forget the client (for settings, only when the server changed); show
   * the new state without connecting yet.
   */
  private reset(keepSameServer = false): void {
    const setting = this.setting();
    if (keepSameServer && setting.kind === 'comfyui' && this.comfy?.key === tokenKey(setting.url)) return;
    this.dropClient();
    if (setting.kind === 'local') {
      this.status.hide();
      return;
    }
    if (setting.kind === 'unconfigured') {
      this.showDown(setting.problem);
      return;
    }
    this.status.text = `$(server) ${serverLabel(parseComfyUrl(setting.url)).replace(/^ComfyUI at /, 'ComfyUI ')}`;
    this.status.tooltip = 'Atelier runs jobs on this ComfyUI server; not connected yet. Click to connect.';
    this.status.backgroundColor = undefined;
    this.status.show();
  }

  /** The configured server's URL (for the token commands), or why there is none. */
  serverUrl(): { url: string } | { problem: string } {
    const setting = this.setting();
    if (setting.kind === 'comfyui') return { url: setting.url };
    if (setting.kind === 'unconfigured') return { problem: setting.problem };
    const user = vscode.workspace.getConfiguration('atelier').inspect<string>('comfyui.url')?.globalValue;
    return user && user.trim() !== '' ? { url: user } : { problem: 'set atelier.comfyui.url in your user settings first: the token is stored for that server only' };
  }

  dispose(): void {
    this.dropClient();
    for (const d of this.disposables) d.dispose();
  }
}

/** A backend that refuses every generation with the settings problem (before any work); upscaling stays local. */
function refusingBackend(problem: string, local: () => Backend): Backend {
  const refuse = (): Promise<never> => Promise.reject(new PipelineError('BACKEND_UNREACHABLE', problem, { argument: 'comfyui.url' }));
  return { capabilities: () => COMFY_CAPABILITIES, generate: refuse, upscale: (request, callbacks) => local().upscale(request, callbacks), listModels: refuse };
}
