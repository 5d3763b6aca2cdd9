// Bundles the extension host, the pipeline worker, the CLI, the benchmark and the webviews; then builds the
// built-in demo model (an oracle model from the fixture builder) into dist/demo-model and converts the
// built-in upscalers into dist/upscalers.
const esbuild = require('esbuild');
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const skipDemo = process.argv.includes('--no-demo-model');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  // Native modules stay external: they load from node_modules at run time.
  external: ['vscode', 'onnxruntime-node', 'sharp'],
};

async function main() {
  await Promise.all([
    esbuild.build({ ...common, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' }),
    esbuild.build({ ...common, entryPoints: { 'pipeline-worker': 'src/pipeline/worker.ts' }, outdir: 'dist' }),
    esbuild.build({ ...common, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } }),
    esbuild.build({ ...common, entryPoints: { bench: 'test/bench/bench.ts' }, outdir: 'dist', external: [...common.external, 'playwright-core'] }),
    esbuild.build({ ...common, entryPoints: { 'build-demo-model': 'test/fixtures/buildDemoModel.ts' }, outdir: 'dist/tools' }),
    esbuild.build({ ...common, entryPoints: { 'build-upscalers': 'src/pipeline/convert/buildUpscalers.ts' }, outdir: 'dist/tools' }),
    esbuild.build({ ...common, entryPoints: { sandbox: 'test/e2e/sandbox.ts' }, outdir: 'dist/tools', external: [...common.external, 'playwright-core'] }),
    // The in-extension-host integration suite (mocha), for code-server and @vscode/test-electron.
    esbuild.build({
      ...common,
      entryPoints: { index: 'test/integration/index.ts', 'suite/extension': 'test/integration/suite/extension.itest.ts', runElectron: 'test/integration/runElectron.ts' },
      outdir: 'dist-test/integration',
      external: [...common.external, 'mocha', '@vscode/test-electron'],
    }),
    // Webviews: browser bundles (script + stylesheet) loaded under a nonce CSP from dist/webview.
    esbuild.build({
      entryPoints: { canvas: 'src/webview/canvas/main.ts', panel: 'src/webview/panel/main.ts' },
      outdir: 'dist/webview',
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      sourcemap: production ? false : 'linked',
      minify: production,
      logLevel: 'warning',
    }),
  ]);
  if (!skipDemo) {
    const target = path.join(__dirname, 'dist', 'demo-model');
    rmSync(target, { recursive: true, force: true });
    execFileSync(process.execPath, [path.join(__dirname, 'dist', 'tools', 'build-demo-model.js'), target], { stdio: 'inherit' });
  }
  // The built-in upscalers: @upscalerjs ESRGAN weights converted to ONNX (skipped when already current).
  const upscalers = path.join(__dirname, 'dist', 'upscalers');
  const stamp = path.join(upscalers, 'built-from.json');
  const versionOf = (model) => JSON.parse(readFileSync(path.join(__dirname, 'node_modules', '@upscalerjs', `esrgan-${model}`, 'package.json'), 'utf8')).version;
  const converter = readFileSync(path.join(__dirname, 'src', 'pipeline', 'convert', 'tfjsLayersToOnnx.ts'), 'utf8');
  const sources = JSON.stringify({ slim: versionOf('slim'), medium: versionOf('medium'), converter: require('node:crypto').createHash('sha256').update(converter).digest('hex') });
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== sources) {
    rmSync(upscalers, { recursive: true, force: true });
    execFileSync(process.execPath, [path.join(__dirname, 'dist', 'tools', 'build-upscalers.js'), upscalers], { stdio: 'inherit' });
    writeFileSync(stamp, sources);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
