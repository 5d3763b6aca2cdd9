/**
 * The in-extension-host integration suite's entry (`extensionTestsPath`): runs the mocha suites in
 * ./suite inside a real extension host. The same entry serves code-server (npm run test:e2e, headless
 * in CI) and @vscode/test-electron (test/integration/runElectron.ts, for machines that can download
 * VS Code).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, reporter: 'spec' });
  const suiteDir = path.join(__dirname, 'suite');
  for (const file of readdirSync(suiteDir).filter((f) => f.endsWith('.js')).sort()) mocha.addFile(path.join(suiteDir, file));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} integration test(s) failed`)) : resolve()));
  });
}
