import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRecipes, loadRecipes, localModelResolver, type LoadedRecipe } from '../../../src/host/recipes/loadRecipes';
import { problemText } from '../../../src/host/recipes/parseRecipe';

function workspace(): { root: string; demo: string; write: (rel: string, value: unknown) => void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'atelier-recipes-'));
  const demo = mkdtempSync(path.join(os.tmpdir(), 'atelier-demo-'));
  const write = (rel: string, value: unknown): void => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), typeof value === 'string' ? value : JSON.stringify(value));
  };
  return { root, demo, write };
}
const recipe = (patch: Record<string, unknown> = {}): Record<string, unknown> => ({ version: 1, model: { builtin: 'demo' }, prompt: 'p', seed: 1, ...patch });

async function load(ws: ReturnType<typeof workspace>): Promise<LoadedRecipe[]> {
  return loadRecipes(await findRecipes([ws.root]), ws.root, localModelResolver({ demoDir: ws.demo, cacheRoot: path.join(ws.root, '.no-cache') }));
}
const lines = (r: LoadedRecipe | undefined): string[] => (r?.problems ?? []).map(problemText);

describe('loading recipes', () => {
  it('finds recipes under folders, skipping node_modules and dot folders; a non-recipe path is refused', async () => {
    const ws = workspace();
    ws.write('a.atelier.json', recipe());
    ws.write('deep/b.atelier.json', recipe());
    ws.write('node_modules/x/c.atelier.json', recipe());
    ws.write('.git/d.atelier.json', recipe());
    ws.write('notes.json', '{}');
    expect((await findRecipes([ws.root])).map((f) => path.relative(ws.root, f))).toEqual(['a.atelier.json', path.join('deep', 'b.atelier.json')]);
    await expect(findRecipes([path.join(ws.root, 'notes.json')])).rejects.toThrow('is not a recipe; recipe files end in .atelier.json');
    await expect(findRecipes([path.join(ws.root, 'nope')])).rejects.toThrow('does not exist');
  });

  it('a good tree loads with no problems, inputs resolved, in dependency order', async () => {
    const ws = workspace();
    ws.write('b/logo.atelier.json', recipe({ init: { image: { path: 'a/hero.png' } } }));
    ws.write('a/hero.atelier.json', recipe());
    const loaded = await load(ws);
    expect(loaded.map((r) => [r.rel, r.imageRel, r.problems.length])).toEqual([
      ['a/hero.atelier.json', 'a/hero.png', 0],
      ['b/logo.atelier.json', 'b/logo.png', 0],
    ]);
    expect(loaded[1].dependsOn).toEqual(['a/hero.atelier.json']);
    expect(loaded[1].inputs).toEqual([{ role: 'init', index: 0, file: path.join(ws.root, 'a', 'hero.png'), rel: 'a/hero.png' }]);
  });

  it('a missing input file', async () => {
    const ws = workspace();
    ws.write('x.atelier.json', recipe({ controls: [{ type: 'depth', image: { path: 'maps/depth.png' } }] }));
    expect(lines((await load(ws))[0])).toEqual([`x.atelier.json: $.controls[0].image.path: maps/depth.png does not exist; fix: create maps/depth.png, or correct the path (relative to ${ws.root})`]);
  });

  it('a path outside the workspace: ../, absolute, or through a symbolic link', async () => {
    const ws = workspace();
    const outside = mkdtempSync(path.join(os.tmpdir(), 'atelier-outside-'));
    writeFileSync(path.join(outside, 'secret.png'), 'x');
    symlinkSync(outside, path.join(ws.root, 'linked'));
    ws.write('a.atelier.json', recipe({ init: { image: { path: '../../etc/passwd' } } }));
    ws.write('b.atelier.json', recipe({ init: { image: { path: path.join(outside, 'secret.png') } } }));
    ws.write('c.atelier.json', recipe({ init: { image: { path: 'linked/secret.png' } } }));
    const [a, b, c] = await load(ws);
    expect(lines(a)[0]).toMatch(/^a\.atelier\.json: \$\.init\.image\.path "\.\.\/\.\.\/etc\/passwd" is outside the workspace .*; fix: copy the file into the workspace/);
    expect(lines(b)[0]).toMatch(/^b\.atelier\.json: \$\.init\.image\.path is the absolute path .*; fix: use a path relative to the workspace/);
    expect(lines(c)[0]).toMatch(/^c\.atelier\.json: \$\.init\.image\.path "linked\/secret\.png" leads out of the workspace through a symbolic link/);
  });

  it('a model that is not found', async () => {
    const ws = workspace();
    ws.write('a.atelier.json', recipe({ model: { id: 'nobody/nothing' } }));
    ws.write('b.atelier.json', recipe({ model: { path: 'models/missing' } }));
    const [a, b] = await load(ws);
    expect(lines(a)[0]).toMatch(/^a\.atelier\.json: \$\.model\.id "nobody\/nothing" is not in the model cache .*; fix: run: atelier models pull nobody\/nothing$/);
    expect(lines(b)[0]).toMatch(/^b\.atelier\.json: \$\.model\.path "models\/missing" is not a model folder .* does not exist\); fix: name an ONNX model folder/);
    const noDemo = workspace();
    noDemo.write('c.atelier.json', recipe());
    const [c] = await loadRecipes(await findRecipes([noDemo.root]), noDemo.root, localModelResolver({ demoDir: path.join(noDemo.root, 'absent'), cacheRoot: noDemo.root }));
    expect(lines(c)[0]).toContain('the built-in demo model is not installed here');
  });

  it('a cycle: a recipe whose input is its own image, or two that read each other', async () => {
    const ws = workspace();
    ws.write('self.atelier.json', recipe({ init: { image: { path: 'self.png' } } }));
    ws.write('a.atelier.json', recipe({ init: { image: { path: 'b.png' } } }));
    ws.write('b.atelier.json', recipe({ init: { image: { path: 'a.png' } } }));
    const loaded = await load(ws);
    const self = loaded.find((r) => r.rel === 'self.atelier.json');
    expect(lines(self)).toEqual(['self.atelier.json: $.init: self.atelier.json reads its own image self.png as an input (a cycle); fix: start from a different image (copy this one under another name first)']);
    const pair = loaded.filter((r) => r.rel !== 'self.atelier.json').flatMap(lines);
    expect(pair.join('\n')).toContain('a cycle: a.atelier.json → b.atelier.json → a.atelier.json');
  });

  it('two recipes making the same image; a bad recipe does not stop the others loading', async () => {
    const ws = workspace();
    ws.write('a.atelier.json', recipe({ image: 'shared.png' }));
    ws.write('b.atelier.json', recipe({ image: 'shared.png' }));
    ws.write('c.atelier.json', '{ nope');
    const loaded = await load(ws);
    expect(lines(loaded.find((r) => r.rel === 'b.atelier.json'))).toEqual(['b.atelier.json: $.image shared.png is also made by a.atelier.json; fix: give each recipe its own image file']);
    expect(lines(loaded.find((r) => r.rel === 'c.atelier.json'))[0]).toContain('c.atelier.json: $ is not valid JSON');
    expect(loaded.find((r) => r.rel === 'a.atelier.json')?.problems).toEqual([]);
  });
});
