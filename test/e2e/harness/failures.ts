/** What a failed e2e scenario leaves in test-results/e2e/: a screenshot, the code-server output and the extension-host logs. */
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Sandbox } from './codeServer';

export const RESULTS = path.resolve('test-results', 'e2e');

export async function saveFailure(taskName: string, page: Page | undefined, sandbox: Sandbox | undefined): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const name = taskName.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
  await page?.screenshot({ path: path.join(RESULTS, `${name}.png`) }).catch(() => undefined);
  if (!sandbox) return;
  writeFileSync(path.join(RESULTS, `${name}.code-server.log`), sandbox.output());
  const logs = path.join(sandbox.userDataDir, 'logs');
  if (existsSync(logs)) cpSync(logs, path.join(RESULTS, `${name}-logs`), { recursive: true });
}
