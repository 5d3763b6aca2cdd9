/** `atelier build` as CI runs it: a tree of recipes built with the demo model, then checked and rebuilt. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLockFile } from '../../src/host/recipes/lockFile';
import { runCli } from '../helpers/cli';

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function tree(): { root: string; write: (rel: string, value: unknown) => void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'atelier-build-'));
  const write = (rel: string, value: unknown): void => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
  };
  return { root, write };
}
const recipe = (prompt: string, seed: number, patch: Record<string, unknown> = {}): Record<string, unknown> => ({ version: 1, model: { builtin: 'demo' }, prompt, steps: 2, seed, width: 64, height: 64, ...patch });
const build = (root: string, ...args: string[]): ReturnType<typeof runCli> => runCli(['build', '--root', root, ...args]);

interface JsonReport {
  readonly ok: boolean;
  readonly items: readonly { readonly image: string; readonly outcome: string; readonly reasons: readonly string[]; readonly problems: readonly string[] }[];
}
const outcomes = (stdout: string): Record<string, string> => Object.fromEntries((JSON.parse(stdout) as JsonReport).items.map((i) => [i.image, i.outcome]));

describe('atelier build', () => {
  it('builds a tree, then does nothing; a changed prompt rebuilds exactly one image; --check fails when stale and passes when fresh', async () => {
    const { root, write } = tree();
    write('assets/hero.atelier.json', recipe('a lighthouse at dusk', 1, { outputs: { sizes: ['@1x', '@2x'], formats: ['png', 'webp'] } }));
    write('assets/icons/app.atelier.json', recipe('a fox icon', 2, { outputs: { icons: true } }));
    write('docs/figure.atelier.json', recipe('a diagram', 3, { image: 'figure.webp' }));
    // Before the first build: --check fails and writes nothing.
    const before = await build(root, '--check');
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('… stale        assets/hero.png (not built yet)');
    expect(() => statSync(path.join(root, 'assets', 'hero.png'))).toThrow();

    const first = await build(root, '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(outcomes(first.stdout)).toEqual({ 'assets/hero.png': 'built', 'assets/icons/app.png': 'built', 'docs/figure.webp': 'built' });
    for (const rel of ['assets/hero@1x.webp', 'assets/hero@2x.png', 'assets/icons/app-icons/favicon.ico', 'docs/figure.webp']) expect(statSync(path.join(root, rel)).size).toBeGreaterThan(0);
    const lock = await readLockFile(root);
    expect(Object.keys(lock.outputs).sort()).toEqual(['assets/hero.png', 'assets/icons/app.png', 'docs/figure.webp']);
    expect(lock.outputs['assets/hero.png']).toMatchObject({ recipe: 'assets/hero.atelier.json', backend: 'local', provider: 'cpu' });
    expect(lock.outputs['assets/hero.png'].files['assets/hero@2x.webp']).toBe(sha(path.join(root, 'assets', 'hero@2x.webp')));
    const hashes = { hero: sha(path.join(root, 'assets', 'hero.png')), app: sha(path.join(root, 'assets', 'icons', 'app.png')), figure: sha(path.join(root, 'docs', 'figure.webp')) };
    const lockText = readFileSync(path.join(root, 'atelier.lock.json'), 'utf8');

    // Second run: nothing to do, nothing rewritten.
    const second = await build(root, '--json');
    expect(second.code).toBe(0);
    expect(outcomes(second.stdout)).toEqual({ 'assets/hero.png': 'up-to-date', 'assets/icons/app.png': 'up-to-date', 'docs/figure.webp': 'up-to-date' });
    expect(second.stderr).not.toContain('generating');
    expect(readFileSync(path.join(root, 'atelier.lock.json'), 'utf8')).toBe(lockText);
    expect((await build(root, '--check')).code).toBe(0);

    // A changed prompt: --check fails naming it; the build remakes that image only.
    write('assets/icons/app.atelier.json', recipe('a wolf icon', 2, { outputs: { icons: true } }));
    const stale = await build(root, '--check');
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain('… stale        assets/icons/app.png (recipe changed)');
    const dry = await build(root, '--dry-run', '--json');
    expect(dry.code).toBe(0);
    expect(outcomes(dry.stdout)['assets/icons/app.png']).toBe('would-build');
    expect(sha(path.join(root, 'assets', 'icons', 'app.png'))).toBe(hashes.app);
    const third = await build(root, '--json');
    expect(outcomes(third.stdout)).toEqual({ 'assets/hero.png': 'up-to-date', 'assets/icons/app.png': 'built', 'docs/figure.webp': 'up-to-date' });
    expect(sha(path.join(root, 'assets', 'icons', 'app.png'))).not.toBe(hashes.app);
    expect(sha(path.join(root, 'assets', 'hero.png'))).toBe(hashes.hero);
    expect(sha(path.join(root, 'docs', 'figure.webp'))).toBe(hashes.figure);
    expect((await build(root, '--check')).code).toBe(0);
  });

  it('one bad recipe is reported with its JSON path and fix; the others still build; exit 1', async () => {
    const { root, write } = tree();
    write('a.atelier.json', recipe('ok', 1));
    write('b.atelier.json', { ...recipe('typo', 2), promt: 'x' });
    write('c.atelier.json', recipe('missing input', 3, { init: { image: { path: 'photos/none.jpg' } } }));
    const r = await build(root);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('⟳ built        a.png');
    expect(r.stdout).toContain('b.atelier.json: $.promt is not a recipe key; fix: did you mean "prompt"?');
    expect(r.stdout).toContain('c.atelier.json: $.init.image.path: photos/none.jpg does not exist; fix: create photos/none.jpg');
    expect(r.stderr).toContain('3 recipes: 1 built, 2 failed');
    expect(statSync(path.join(root, 'a.png')).size).toBeGreaterThan(0);
  });

  it('an image edited by hand, or a file the recipe did not make, is never replaced without --force', async () => {
    const { root, write } = tree();
    write('a.atelier.json', recipe('a', 1));
    expect((await build(root)).code).toBe(0);
    writeFileSync(path.join(root, 'a.png'), 'my own edit');
    const blocked = await build(root);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toContain('a.png was changed since it was built; --force replaces it');
    expect(readFileSync(path.join(root, 'a.png'), 'utf8')).toBe('my own edit');
    expect((await build(root, '--force')).code).toBe(0);
    expect(readFileSync(path.join(root, 'a.png')).subarray(1, 4).toString()).toBe('PNG');

    write('b.atelier.json', recipe('b', 2));
    writeFileSync(path.join(root, 'b.png'), 'a drawing of mine');
    const untracked = await build(root);
    expect(untracked.code).toBe(1);
    expect(untracked.stdout).toContain('b.png exists but is not in atelier.lock.json');
    expect(readFileSync(path.join(root, 'b.png'), 'utf8')).toBe('a drawing of mine');
  });

  it('an image saved by generate --recipe is recorded as built, not generated again', async () => {
    const { root } = tree();
    const out = path.join(root, 'art', 'fox.png');
    const saved = await runCli(['generate', 'a red fox', '--out', out, '--seed', '9', '--steps', '2', '--width', '64', '--height', '64', '--recipe']);
    expect(saved.code, saved.stderr).toBe(0);
    const recipeText = readFileSync(path.join(root, 'art', 'fox.atelier.json'), 'utf8');
    expect(JSON.parse(recipeText)).toMatchObject({ version: 1, backend: 'local', model: { builtin: 'demo' }, prompt: 'a red fox', seed: 9, steps: 2, width: 64, height: 64, image: 'fox.png' });
    expect(JSON.parse(recipeText).model.sha256).toMatch(/^[0-9a-f]{64}$/);
    const before = sha(out);
    const r = await build(root, '--json');
    expect(outcomes(r.stdout)).toEqual({ 'art/fox.png': 'recorded' });
    expect(sha(out)).toBe(before);
    expect(outcomes((await build(root, '--json')).stdout)).toEqual({ 'art/fox.png': 'up-to-date' });
  });

  it('usage errors exit 2', async () => {
    const { root } = tree();
    expect((await build(root, '--check', '--dry-run')).code).toBe(2);
    expect((await build(root, '-j', '0')).code).toBe(2);
    const missing = await build(root, path.join(root, 'nope'));
    expect(missing.stderr).toContain('does not exist; name recipe files (*.atelier.json) or folders holding them');
  });
});
