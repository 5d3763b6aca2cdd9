/** The built `atelier` CLI run as a user runs it: a real process, its exit code and both streams. */
import { execFile } from 'node:child_process';
import { CLI_PATH } from './worker';

export interface CliOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node dist/cli.js …args` with `env` over process.env (ATELIER_MODEL cleared). A run longer than
 * `timeoutMs` is killed and reported with code -1 and "[killed after …]" on stderr, so a hang fails a test
 * instead of stalling the suite.
 */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<CliOutcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_PATH, ...args], { env: { ...process.env, ATELIER_MODEL: '', ...env }, maxBuffer: 1 << 24, timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (!error) return resolve({ code: 0, stdout, stderr });
      const e = error as { code?: number | string; killed?: boolean };
      if (e.killed) return resolve({ code: -1, stdout, stderr: `${stderr}\n[killed after ${timeoutMs} ms]` });
      resolve({ code: typeof e.code === 'number' ? e.code : -1, stdout, stderr });
    });
  });
}
