/** The architecture rules of the brief, checked on the source so they cannot drift. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REFERENCE_LANGUAGES } from '../../src/host/references/imageReferences';
import { TOOL_FIELDS } from '../../src/host/agents/toolInput';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
  });
}

const sources = files('src').map((file) => ({ file, text: readFileSync(file, 'utf8') }));
const imports = (text: string): string[] => [
  ...[...text.matchAll(/^(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]),
  ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]),
];
const layer = (file: string): string => file.split(path.sep)[1];
const resolveLayer = (file: string, spec: string): string | undefined =>
  spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)).split(path.sep)[1] : undefined;

/** Which src/ layers each layer may import (issue 15): a layer missing here may import nothing. */
const ALLOWED: Record<string, readonly string[]> = {
  shared: ['shared'],
  pipeline: ['pipeline', 'shared'],
  webview: ['webview', 'shared'],
  // The VS Code-free host core: worker supervision, saving, models, canvas documents, jobs, backends.
  host: ['host', 'shared'],
  extension: ['extension', 'host', 'shared'],
  cli: ['cli', 'host', 'shared'],
  // Build-time converters run by esbuild.js, never bundled into the product.
  build: ['build', 'pipeline', 'shared'],
};

function layerViolations(files: readonly { file: string; text: string }[]): string[] {
  return files.flatMap(({ file, text }) =>
    imports(text).flatMap((spec) => {
      // Shipped JSON data (the recipe schema VS Code also reads) is bundled in, one file for both.
      if (spec.endsWith('.json') && path.normalize(path.join(path.dirname(file), spec)).startsWith(`assets${path.sep}`)) return [];
      const target = resolveLayer(file, spec);
      return target && !ALLOWED[layer(file)]?.includes(target) ? [`${file} → ${spec}`] : [];
    }),
  );
}

/** Folder-to-folder import cycles inside one layer (files at the layer's root, like extension.ts, are the entry and left out). */
function folderCycles(files: readonly { file: string; text: string }[], inLayer: string): string[] {
  const folder = (file: string): string | undefined => {
    const parts = file.split(path.sep);
    return parts[1] === inLayer && parts.length > 3 ? parts[2] : undefined;
  };
  const edges = new Map<string, Set<string>>();
  for (const { file, text } of files) {
    const from = folder(file);
    if (!from) continue;
    for (const spec of imports(text).filter((s) => s.startsWith('.'))) {
      const to = folder(path.normalize(path.join(path.dirname(file), spec)) + '.ts');
      if (to && to !== from) edges.set(from, new Set([...(edges.get(from) ?? []), to]));
    }
  }
  // Each cycle once, read from its smallest folder: walk only through folders after the start.
  const cycles: string[] = [];
  const walk = (start: string, node: string, trail: readonly string[]): void => {
    for (const next of edges.get(node) ?? []) {
      if (next === start) cycles.push([...trail, node, start].join(' → '));
      else if (next > start && !trail.includes(next) && next !== node) walk(start, next, [...trail, node]);
    }
  };
  for (const start of [...edges.keys()].sort()) walk(start, start, []);
  return cycles;
}

describe('architecture', () => {
  it('imports flow one way between src/ layers', () => {
    expect(layerViolations(sources)).toEqual([]);
  });

  it('the layer check catches an upward import (the inverse)', () => {
    const src = (...parts: string[]) => path.join('src', ...parts);
    expect(layerViolations([{ file: src('cli', 'main.ts'), text: "import { a } from '../extension/commands/generateImage';" }])).toHaveLength(1);
    expect(layerViolations([{ file: src('host', 'jobs', 'job.ts'), text: "import type { B } from '../../extension/config/settings';" }])).toHaveLength(1);
    expect(layerViolations([{ file: src('host', 'worker', 'x.ts'), text: "const m = await import('../../pipeline/worker');" }])).toHaveLength(1);
    expect(layerViolations([{ file: src('pipeline', 'x.ts'), text: "export { c } from '../build/buildDetectors';" }])).toHaveLength(1);
    expect(layerViolations([{ file: src('build', 'x.ts'), text: "import { d } from '../host/images/imageCodec';" }])).toHaveLength(1);
    expect(layerViolations([{ file: src('nowhere', 'x.ts'), text: "import { e } from '../shared/request';" }])).toHaveLength(1);
    expect(layerViolations([{ file: src('extension', 'x.ts'), text: "import { f } from '../host/jobs/buildJob';\nimport { g } from '../shared/request';" }])).toEqual([]);
    expect(layerViolations([{ file: src('build', 'x.ts'), text: "import { h } from '../pipeline/ops/fp16';" }])).toEqual([]);
  });

  it('folders inside the extension and the host import each other one way (no cycles such as commands ↔ canvas)', () => {
    expect(folderCycles(sources, 'extension')).toEqual([]);
    expect(folderCycles(sources, 'host')).toEqual([]);
    // The inverse: a cycle is found.
    const f = (...parts: string[]) => path.join('src', 'extension', ...parts);
    const cyclic = [
      { file: f('commands', 'open.ts'), text: "import { a } from '../canvas/provider';" },
      { file: f('canvas', 'provider.ts'), text: "import { b } from '../commands/actions';" },
    ];
    expect(folderCycles(cyclic, 'extension')).toEqual(['canvas → commands → canvas']);
    expect(folderCycles(cyclic.slice(1), 'extension')).toEqual([]);
  });

  it('only src/pipeline/backends/onnx.ts imports onnxruntime-node; the host reaches sharp through its codec modules, loaded lazily', () => {
    const ort = sources.filter(({ text }) => imports(text).some((s) => s.startsWith('onnxruntime')) || /import\(['"]onnxruntime/.test(text)).map((s) => s.file);
    expect(ort).toEqual([path.join('src', 'pipeline', 'backends', 'onnx.ts')]);
    const sharpUsers = sources.filter(({ text }) => imports(text).includes('sharp') || /import\(['"]sharp['"]\)/.test(text)).map((s) => s.file);
    const outsidePipeline = sharpUsers.filter((f) => layer(f) !== 'pipeline');
    // The host's codec, and the ComfyUI client's network edge.
    expect(outsidePipeline.sort()).toEqual([path.join('src', 'host', 'comfyui', 'imageEdge.ts'), path.join('src', 'host', 'images', 'imageCodec.ts')]);
    for (const file of outsidePipeline) {
      // Each imports sharp only as a type at the top; the module loads on first use.
      const codec = sources.find((s) => s.file === file)?.text ?? '';
      expect(codec, file).toMatch(/^import type \{[^}]*\} from 'sharp';$/m);
    }
    expect(sources.filter(({ file }) => layer(file) === 'webview').flatMap(({ text }) => imports(text)).filter((s) => s === 'sharp' || s === 'vscode' || s.startsWith('node:'))).toEqual([]);
  });

  it('vscode is imported only by the extension layer, and not by the modules the CLI uses', () => {
    const users = sources.filter(({ text }) => imports(text).includes('vscode')).map((s) => s.file);
    expect(users.length).toBeGreaterThan(0);
    expect(users.filter((f) => layer(f) !== 'extension')).toEqual([]);
    // Everything in src/extension that does not import vscode belongs in src/host (issue 15).
    const vscodeFree = sources.filter(({ file, text }) => layer(file) === 'extension' && !imports(text).includes('vscode')).map((s) => s.file);
    expect(vscodeFree).toEqual([]);
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

  it('onnx-proto is reached only through the ONNX writer, and the product never imports the build-time converters', () => {
    const users = sources.filter(({ text }) => imports(text).includes('onnx-proto')).map((s) => s.file);
    // The ONNX writer, and the int8 quantiser, which rewrites a UNet's graph on the user's machine.
    expect(users).toContain(path.join('src', 'pipeline', 'onnxWriter', 'graph.ts'));
    expect(users.filter((f) => f !== path.join('src', 'pipeline', 'onnxWriter', 'graph.ts') && !f.replace(/\\/g, '/').includes('src/pipeline/quantize/'))).toEqual([]);
    // Nothing the product bundles reaches the converters.
    expect(sources.filter(({ file }) => layer(file) !== 'build').flatMap(({ file, text }) => imports(text).filter((s) => resolveLayer(file, s) === 'build'))).toEqual([]);
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
      languageModelTools: { name: string; toolReferenceName: string; canBeReferencedInPrompt: boolean; modelDescription: string; inputSchema: { properties: Record<string, { description?: string }>; required?: string[] } }[];
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
    // …and in workspaces with recipes, whose CodeLenses say what is stale.
    expect(pkg.activationEvents).toEqual([...REFERENCE_LANGUAGES.map((l) => `onLanguage:${l}`), 'workspaceContains:**/*.atelier.json']);
    const extension = readFileSync('src/extension/extension.ts', 'utf8');
    const registered = [...extension.matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]).sort();
    expect(pkg.contributes.commands.map((c) => c.command).sort()).toEqual(registered);
  });

  it('every language model tool the code registers is contributed, and every contributed one registered', () => {
    const registered = sources.filter(({ file }) => layer(file) === 'extension').flatMap(({ text }) => [...text.matchAll(/registerTool\('([^']+)'/g)].map((m) => m[1])).sort();
    const tools = pkg.contributes.languageModelTools;
    expect(registered.length).toBeGreaterThan(0);
    expect(tools.map((t) => t.name).sort()).toEqual(registered);
    expect(Object.keys(TOOL_FIELDS).sort()).toEqual(registered);
    for (const tool of tools) {
      // #atelierGenerateImage in chat; the schema declares exactly the fields the input check accepts, each described for a model.
      expect(tool.canBeReferencedInPrompt, tool.name).toBe(true);
      expect(tool.toolReferenceName, tool.name).toMatch(/^atelier[A-Z]\w+$/);
      expect(tool.modelDescription.length, tool.name).toBeGreaterThan(80);
      expect(Object.keys(tool.inputSchema.properties).sort(), tool.name).toEqual([...TOOL_FIELDS[tool.name as keyof typeof TOOL_FIELDS]].sort());
      for (const [field, schema] of Object.entries(tool.inputSchema.properties)) expect(schema.description, `${tool.name}.${field}`).toBeTruthy();
      for (const field of tool.inputSchema.required ?? []) expect(tool.inputSchema.properties, `${tool.name} requires ${field}`).toHaveProperty(field);
    }
  });

  it('the walkthrough links and completes on contributed commands only, and its pages ship', () => {
    const commands = new Set(pkg.contributes.commands.map((c) => c.command));
    const steps = pkg.contributes.walkthroughs.flatMap((w) => w.steps);
    expect(steps.map((s) => s.id)).toEqual(['getModel', 'generate', 'canvas', 'missingImages', 'recipes']);
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
