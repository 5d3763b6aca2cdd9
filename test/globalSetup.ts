/**
 * Builds dist/ (worker, CLI, demo model) once before the suites that fork real processes, and gives the run
 * its own temporary folder (TMPDIR, inherited by the test workers and the processes they start) that is
 * removed afterwards, so the many mkdtemp folders of a run never pile up in the system's /tmp.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  execFileSync(process.execPath, ['esbuild.js'], { stdio: 'inherit' });
  const runTmp = mkdtempSync(path.join(os.tmpdir(), 'atelier-test-run-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = runTmp;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(runTmp, { recursive: true, force: true });
  };
}
