/**
 * `npm run sandbox`: a throwaway VS Code (code-server) with the freshly packaged Atelier and the
 * built-in demo model configured, to try it by hand in a browser. Ctrl-C stops everything.
 */
import path from 'node:path';
import { startSandbox } from './harness/codeServer';
import { ensureTools } from './harness/tools';

async function main(): Promise<void> {
  ensureTools((line) => console.log(line));
  const vsix = path.resolve(process.env.ATELIER_VSIX ?? 'atelier-linux-x64.vsix');
  const demo = path.resolve('dist', 'demo-model');
  const sandbox = await startSandbox({ vsix, trust: false, userSettings: { 'atelier.modelPath': demo, 'atelier.steps': 20 } });
  console.log(`\nAtelier sandbox: open ${sandbox.url}\n(workspace ${sandbox.workspace}; Ctrl-C to stop)`);
  const stop = (): void => {
    void sandbox.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
