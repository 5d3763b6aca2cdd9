/** The architecture rules of the brief, checked on the source so they cannot drift. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REFERENCE_LANGUAGES } from '../../src/host/references/imageReferences';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
  });
}

const sources = files('src').map((file) => ({ file, text: readFileSync(file, 'utf8') }));
const imports = (text: string): string[] => [...text.matchAll(/^(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]);
const layer = (file: string): string => file.split(path.sep)[1];
const resolveLayer = (file: string, spec: string): string | undefined =>
  spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)).split(path.sep)[1] : undefined;

describe('architecture', () => {
  it('imports flow one way between src/ layers', () => {
    const allowed: Record<string, readonly string[]> = {
      shared: ['shared'],
      pipeline: ['pipeline', 'shared'],
      webview: ['webview', 'shared'],
      extension: ['extension', 'host', 'shared'],
      cli: ['cli', 'extension', 'host', 'shared'],
      // The VS Code-free host core (issue 15): backends such as ComfyUI; never the extension or vscode.
      host: ['host', 'shared'],
    };
    const violations = sources.flatMap(({ file, text }) =>
      imports(text).flatMap((spec) => {
        const target = resolveLayer(file, spec);
        return target && !allowed[layer(file)]?.includes(target) ? [`${file} → ${spec}`] : [];
      }),
    );
    expect(violations).toEqual([]);
  });

  it('only src/pipeline/backends/onnx.ts imports onnxruntime-node; the host reaches sharp through its codec modules, loaded lazily', () => {
    const ort = sources.filter(({ text }) => imports(text).some((s) => s.startsWith('onnxruntime')) || /import\(['"]onnxruntime/.test(text)).map((s) => s.file);
    expect(ort).toEqual([path.join('src', 'pipeline', 'backends', 'onnx.ts')]);
    const sharpUsers = sources.filter(({ text }) => imports(text).includes('sharp') || /import\(['"]sharp['"]\)/.test(text)).map((s) => s.file);
    const outsidePipeline = sharpUsers.filter((f) => layer(f) !== 'pipeline');
    // The extension's codec, and the ComfyUI client's network edge (one host codec once issue 15 part 1 moves imageCodec).
    expect(outsidePipeline.sort()).toEqual([path.join('src', 'extension', 'images', 'imageCodec.ts'), path.join('src', 'host', 'comfyui', 'imageEdge.ts')]);
    for (const file of outsidePipeline) {
      // Each imports sharp only as a type at the top; the module loads on first use.
      const codec = sources.find((s) => s.file === file)?.text ?? '';
      expect(codec, file).toMatch(/^import type \{[^}]*\} from 'sharp';$/m);
    }
    expect(sources.filter(({ file }) => layer(file) === 'webview').flatMap(({ text }) => imports(text)).filter((s) => s === 'sharp' || s === 'vscode' || s.startsWith('node:'))).toEqual([]);
  });

  it('vscode is imported only by the extension layer, and not by the modules the CLI uses', () => {
    const users = sources.filter(({ text }) => imports(text).includes('vscode')).map((s) => s.file);
    expect(users.every((f) => layer(f) === 'extension')).toBe(true);
    const cliDeps = sources.filter(({ file }) => layer(file) === 'cli').flatMap(({ file, text }) => imports(text).filter((s) => s.startsWith('.')).map((s) => path.normalize(path.join(path.dirname(file), s)) + '.ts'));
    for (const dep of cliDeps) {
      const text = sources.find((s) => s.file === dep)?.text ?? '';
      expect(imports(text), dep).not.toContain('vscode');
    }
  });

  it('the websocket package is reached through one module, and the host core never imports vscode', () => {
    expect(sources.filter(({ text }) => imports(text).includes('ws')).map((s) => s.file)).toEqual([path.join('src', 'host', 'comfyui', 'socket.ts')]);
    const host = sources.filter(({ file }) => layer(file) === 'host');
    expect(host.length).toBeGreaterThan(0);
    expect(host.filter(({ text }) => imports(text).includes('vscode') || /import\(['"]vscode/.test(text)).map((s) => s.file)).toEqual([]);
  });

  it('no any, no @ts-ignore, no shell execution', () => {
    const offences = sources.flatMap(({ file, text }) =>
      [/:\s*any\b/, /\bas any\b/, /<any>/, /@ts-ignore/, /@ts-expect-error/, /(?<![.\w])execSync\(/, /shell:\s*true/, /(?<![.\w])exec\(/]
        .filter((re) => re.test(text))
        .map((re) => `${file}: ${re}`),
    );
    expect(offences).toEqual([]);
  });
});

describe('package.json', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
    version: string;
    capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
    contributes: {
      configuration: { properties: Record<string, { scope?: string }> };
      commands: { command: string }[];
      walkthroughs: { steps: { id: string; description: string; media: { markdown: string }; completionEvents: string[] }[] }[];
    };
    activationEvents: string[];
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };

  it('declares limited support in untrusted workspaces and machine-scopes the model and provider settings', () => {
    expect(pkg.capabilities.untrustedWorkspaces.supported).toBe('limited');
    expect(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations).toContain('atelier.outputFolder');
    expect(pkg.contributes.configuration.properties['atelier.modelPath'].scope).toBe('machine');
    expect(pkg.contributes.configuration.properties['atelier.executionProvider'].scope).toBe('machine');
  });

  it('activates lazily (on its commands, and on the languages whose missing images it reports) and every command the code registers is contributed', () => {
    expect(pkg.activationEvents).toEqual(REFERENCE_LANGUAGES.map((l) => `onLanguage:${l}`));
    const extension = readFileSync('src/extension/extension.ts', 'utf8');
    const registered = [...extension.matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]).sort();
    expect(pkg.contributes.commands.map((c) => c.command).sort()).toEqual(registered);
  });

  it('the walkthrough links and completes on contributed commands only, and its pages ship', () => {
    const commands = new Set(pkg.contributes.commands.map((c) => c.command));
    const steps = pkg.contributes.walkthroughs.flatMap((w) => w.steps);
    expect(steps.map((s) => s.id)).toEqual(['getModel', 'generate', 'canvas', 'missingImages']);
    for (const step of steps) {
      const linked = [...step.description.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]);
      const completing = step.completionEvents.filter((e) => e.startsWith('onCommand:')).map((e) => e.slice('onCommand:'.length));
      expect(step.completionEvents.length).toBeGreaterThan(0);
      for (const command of [...linked, ...completing]) expect(commands.has(command), `${step.id} names ${command}`).toBe(true);
      expect(existsSync(step.media.markdown), step.media.markdown).toBe(true);
    }
  });

  it('pins exact dependency versions', () => {
    for (const version of [...Object.values(pkg.dependencies), ...Object.values(pkg.devDependencies)]) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('the version written into PNG metadata matches package.json', () => {
    expect(readFileSync('src/shared/version.ts', 'utf8')).toContain(`'${pkg.version}'`);
  });
});
