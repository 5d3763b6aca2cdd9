/**
 * The worker's private, empty working folder (nothing it resolves relative to cwd can reach user files):
 * `<tmp>/atelier-worker-<host pid>-XXXXXX`. It is removed on dispose and when the host process exits; a
 * host that was killed cannot clean up, so creating a new one first sweeps the folders of host pids that
 * no longer run.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pidAlive } from '../system/pidAlive';

const PREFIX = 'atelier-worker-';
const live = new Set<string>();
let exitHookInstalled = false;

/** Removes `atelier-worker-<pid>-*` folders whose host process is gone. */
export function sweepStaleWorkerDirs(tmp: string = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return removed;
  }
  for (const name of names) {
    const match = new RegExp(`^${PREFIX}(\\d+)-[A-Za-z0-9]{6}$`).exec(name);
    if (!match || Number(match[1]) === process.pid || pidAlive(Number(match[1]))) continue;
    try {
      rmSync(path.join(tmp, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Another sweeper got it, or it is not ours to remove.
    }
  }
  return removed;
}

export function createWorkerDir(tmp: string = os.tmpdir()): string {
  sweepStaleWorkerDirs(tmp);
  const dir = mkdtempSync(path.join(tmp, `${PREFIX}${process.pid}-`));
  live.add(dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const d of live) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

export function removeWorkerDir(dir: string): void {
  live.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}
