/** Prepares the e2e run once: toolchain (cached in .tools/), a fresh build and the packaged VSIX. */
import { execFileSync } from 'node:child_process';
import { ensureTools } from './harness/tools';

export default function setup(): void {
  ensureTools((line) => console.log(`[e2e] ${line}`));
  if (!process.env.ATELIER_VSIX) execFileSync('npm', ['run', 'package'], { stdio: 'inherit' });
}
