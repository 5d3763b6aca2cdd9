/** Shared by the ComfyUI client suites: doubles and clients closed after each test, and typed failures. */
import { afterEach, expect } from 'vitest';
import { ComfyClient } from '../../../src/host/comfyui/client';
import { PipelineError } from '../../../src/shared/errors';
import { startComfyServer, type ComfyDouble, type ComfyDoubleOptions } from '../../helpers/comfyServer';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A test double, closed after the test. */
export async function server(options: ComfyDoubleOptions = {}): Promise<ComfyDouble> {
  const double = await startComfyServer(options);
  cleanups.push(() => double.close());
  return double;
}

/** A connected client, closed after the test. */
export async function connect(to: string | { readonly url: string }, options: Parameters<typeof ComfyClient.connect>[1] = {}): Promise<ComfyClient> {
  const client = await ComfyClient.connect(typeof to === 'string' ? to : to.url, options);
  cleanups.push(() => client.close());
  return client;
}

/** The typed error a promise rejects with. */
export async function failure(promise: Promise<unknown>): Promise<PipelineError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PipelineError);
    return error as PipelineError;
  }
  throw new Error('expected a failure');
}
