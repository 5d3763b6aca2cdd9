import path from 'node:path';
import { WorkerSupervisor, type SupervisorOptions } from '../../src/host/worker/workerSupervisor';

export const WORKER_PATH = path.resolve('dist/pipeline-worker.js');
export const CLI_PATH = path.resolve('dist/cli.js');

export interface TestSupervisor {
  readonly supervisor: WorkerSupervisor;
  readonly logs: string[];
}

export function testSupervisor(options: Partial<SupervisorOptions> = {}): TestSupervisor {
  const logs: string[] = [];
  const supervisor = new WorkerSupervisor({
    workerPath: WORKER_PATH,
    log: (level, message) => logs.push(`${level}: ${message}`),
    policy: { maxCrashes: 3, windowMs: 5 * 60_000, baseBackoffMs: 20, maxBackoffMs: 200 },
    ...options,
  });
  return { supervisor, logs };
}
