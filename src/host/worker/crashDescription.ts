/** Turns a child exit (code, signal, stderr tail) into a typed error with a plain explanation. */
import { PipelineError } from '../../shared/errors';

export function describeWorkerExit(code: number | null, signal: NodeJS.Signals | null, stderrTail: string): PipelineError {
  const detail = stderrTail.trim() === '' ? undefined : stderrTail;
  if (/JavaScript heap out of memory|std::bad_alloc|Failed to allocate memory/i.test(stderrTail)) {
    return new PipelineError('OUT_OF_MEMORY', 'the pipeline worker ran out of memory; try a smaller image size, fewer models open, or an fp16 model', { detail });
  }
  let what: string;
  if (signal === 'SIGKILL') what = 'was killed (SIGKILL), most likely by the system running out of memory';
  else if (signal === 'SIGABRT') what = 'aborted (SIGABRT) on a native error';
  else if (signal === 'SIGSEGV' || signal === 'SIGBUS') what = `crashed inside native code (${signal})`;
  else if (signal) what = `was stopped by ${signal}`;
  else if (code === 3221225477) what = 'crashed with an access violation (0xC0000005)';
  else what = `exited unexpectedly with code ${code ?? 'unknown'}`;
  return new PipelineError('WORKER_CRASHED', `the pipeline worker ${what}`, { detail });
}
