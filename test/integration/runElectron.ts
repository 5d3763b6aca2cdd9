/**
 * Runs the integration suite under @vscode/test-electron, for contributors whose machines can
 * download VS Code (CI here cannot; it runs the same suite in code-server: npm run test:e2e).
 *   npm run build && node dist-test/integration/runElectron.js
 */
import path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'dist-test', 'integration', 'index.js'),
    launchArgs: [path.join(root, 'test-results', 'integration-workspace'), '--disable-extensions', '--disable-workspace-trust'],
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
