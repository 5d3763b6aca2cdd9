/** Builds dist/ (worker, CLI, demo model) once before the suites that fork real processes. */
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['esbuild.js'], { stdio: 'inherit' });
}
