/**
 * The in-extension-host mocha suite (test/integration), run headless in code-server: Atelier is
 * loaded as a development extension from this checkout, the suite runs with the full `vscode` API,
 * and mocha's result comes back as the exit code through the smoke-test driver.
 */
import path from 'node:path';
import { format } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startSandbox, type Sandbox } from './harness/codeServer';
import { launchBrowser } from './harness/workbench';

let browser: Browser;
let sandbox: Sandbox | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await sandbox?.stop();
  await browser?.close();
});

it('the integration suite passes inside the extension host', async () => {
  sandbox = await startSandbox({ trust: false, userSettings: {}, extraArgs: ['--vscode-option', 'enable-smoke-test-driver'] });
  const page = await browser.newPage();
  const lines: string[] = [];
  await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => lines.push(format(...args)));
  const exited = new Promise<number>((resolve) => void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code)));
  const root = path.resolve('.');
  const remote = (p: string): string => `vscode-remote://127.0.0.1:${sandbox!.port}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(root)],
    ['extensionTestsPath', remote(path.join(root, 'dist-test', 'integration', 'index.js'))],
  ];
  await page.goto(`${sandbox.url}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  const code = await Promise.race([exited, new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`no result within 150 s\n${lines.join('\n')}`)), 150_000))]);
  console.log(lines.filter((l) => /passing|failing|✔|\d+\) /.test(l)).join('\n'));
  expect(code, lines.join('\n')).toBe(0);
  expect(lines.join('\n')).toMatch(/4 passing/);
});
