/** Starts code-server (a real VS Code workbench) on a free loopback port, and stops everything it started. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CODE_SERVER, node24 } from './tools';

type SettingsSection = { readonly properties: Record<string, { readonly scope?: string }> };

/** The extension's settings with a machine scope (read from the remote machine's settings in code-server). */
const MACHINE_SCOPED: ReadonlySet<string> = (() => {
  const manifest = JSON.parse(readFileSync(path.resolve('package.json'), 'utf8')) as { contributes: { configuration: SettingsSection | SettingsSection[] } };
  const configuration = manifest.contributes.configuration;
  const sections: SettingsSection[] = Array.isArray(configuration) ? configuration : [configuration];
  return new Set(sections.flatMap((s) => Object.entries(s.properties).filter(([, v]) => v.scope?.startsWith('machine')).map(([k]) => k)));
})();

export interface Sandbox {
  readonly root: string;
  readonly workspace: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly port: number;
  readonly url: string;
  /** Everything code-server printed (for failure reports). */
  output(): string;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  /** The packaged extension to install; absent when the run loads it as a development extension. */
  readonly vsix?: string;
  /** More code-server arguments (e.g. `--vscode-option enable-smoke-test-driver`). */
  readonly extraArgs?: readonly string[];
  readonly userSettings: Record<string, unknown>;
  /** Workspace Trust on (Restricted Mode for a new folder) or off. */
  readonly trust: boolean;
  readonly workspaceFiles?: Record<string, string>;
  /** Runs before code-server starts; may fill the workspace and return more user settings. */
  readonly prepare?: (workspace: string) => Record<string, unknown>;
  /** Extra environment for code-server and so for the extension host (e.g. HF_ENDPOINT). */
  readonly env?: NodeJS.ProcessEnv;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer at ${url} within ${timeoutMs} ms`);
}

function codeServer(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(node24(), [CODE_SERVER, ...args], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'atelier-e2e-'));
  const workspace = path.join(root, 'workspace');
  const userDataDir = path.join(root, 'user-data');
  const extensionsDir = path.join(root, 'extensions');
  const config = path.join(root, 'config.yaml');
  for (const dir of [workspace, path.join(userDataDir, 'User'), path.join(userDataDir, 'Machine'), extensionsDir]) mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(options.workspaceFiles ?? {})) {
    mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    writeFileSync(path.join(workspace, name), text);
  }
  const prepared = options.prepare?.(workspace) ?? {};
  writeFileSync(config, 'auth: none\ncert: false\n');
  writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'chat.disableAIFeatures': true,
        'security.workspace.trust.enabled': options.trust,
        'security.workspace.trust.startupPrompt': 'never',
        'workbench.tips.enabled': false,
        'extensions.autoUpdate': false,
        'telemetry.telemetryLevel': 'off',
        ...options.userSettings,
        ...prepared,
      },
      null,
      2,
    ),
  );
  // In a remote window (which code-server is), machine-scoped settings such as atelier.modelPath are
  // read from the remote machine settings; Restricted Mode ignores them in local user settings.
  // Only the machine-scoped ones go there: a remote (Machine) value outranks the user's, so a copy of every
  // setting would hide each change the extension or the user makes in the user settings.
  const machineOnly = Object.fromEntries(Object.entries({ ...options.userSettings, ...prepared }).filter(([key]) => MACHINE_SCOPED.has(key)));
  writeFileSync(path.join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(machineOnly, null, 2));
  const env = { ...process.env, HOME: root, XDG_CONFIG_HOME: path.join(root, 'xdg'), ATELIER_MODEL: '', ...options.env };
  if (options.vsix) {
    execFileSync(node24(), [CODE_SERVER, '--config', config, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', options.vsix], {
      env,
      stdio: 'pipe',
    });
  }

  const port = await freePort();
  const args = ['--config', config, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--reconnection-grace-time', '5', '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  if (!options.trust) args.push('--disable-workspace-trust');
  args.push(...(options.extraArgs ?? []));
  const child = codeServer([...args, workspace], env);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
  return {
    root,
    workspace,
    userDataDir,
    extensionsDir,
    port,
    url,
    output: () => output,
    stop: async () => {
      // code-server leaves extension hosts alive after SIGTERM: kill the whole process group.
      if (child.pid === undefined || child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-(child.pid ?? 0), 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
      try {
        process.kill(-child.pid, 'SIGKILL'); // stragglers in the group (extension host, worker)
      } catch {
        // none left
      }
    },
  };
}
