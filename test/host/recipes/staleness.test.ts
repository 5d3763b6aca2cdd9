import { describe, expect, it } from 'vitest';
import { decide, type CurrentFacts } from '../../../src/host/recipes/staleness';
import type { LockEntry } from '../../../src/host/recipes/lockFile';

const entry: LockEntry = {
  recipe: 'a/hero.atelier.json',
  job: 'J',
  outputs: 'O',
  inputs: { 'a/photo.png': 'P' },
  model: 'M',
  backend: 'local',
  provider: 'cpu',
  files: { 'a/hero.png': 'H', 'a/hero@2x.webp': 'W' },
};
const now: CurrentFacts = {
  imageRel: 'a/hero.png',
  job: 'J',
  outputs: 'O',
  inputs: { 'a/photo.png': 'P' },
  model: 'M',
  disk: { 'a/hero.png': 'H', 'a/hero@2x.webp': 'W' },
  derived: ['a/hero@2x.webp'],
  rebuiltInputs: [],
  adoptable: false,
};
const facts = (patch: Partial<CurrentFacts>): CurrentFacts => ({ ...now, ...patch });

describe('staleness', () => {
  it('everything as recorded: up to date, nothing to do', () => {
    expect(decide(entry, now, false)).toEqual({ state: 'fresh', action: 'skip', reasons: [] });
  });

  it('a changed recipe, input, or a rebuilt input regenerates', () => {
    expect(decide(entry, facts({ job: 'J2' }), false)).toMatchObject({ state: 'stale', action: 'generate', reasons: ['recipe changed'] });
    expect(decide(entry, facts({ inputs: { 'a/photo.png': 'P2' } }), false).reasons).toEqual(['input a/photo.png changed']);
    expect(decide(entry, facts({ inputs: { 'a/other.png': 'X' } }), false).reasons).toEqual(['new input a/other.png', 'input a/photo.png is no longer used']);
    expect(decide(entry, facts({ rebuiltInputs: ['a/photo.png'] }), false).reasons).toEqual(['input a/photo.png was rebuilt']);
  });

  it('a deleted image regenerates; a deleted derived file is only derived again', () => {
    expect(decide(entry, facts({ disk: { 'a/hero@2x.webp': 'W' } }), false)).toMatchObject({ action: 'generate', reasons: ['a/hero.png is missing'] });
    expect(decide(entry, facts({ disk: { 'a/hero.png': 'H' } }), false)).toMatchObject({ action: 'derive', reasons: ['a/hero@2x.webp is missing'] });
    expect(decide(entry, facts({ outputs: 'O2' }), false)).toMatchObject({ action: 'derive', reasons: ['derived outputs changed'] });
  });

  it('a changed model is reported, not rebuilt, unless forced or the recipe changed too', () => {
    expect(decide(entry, facts({ model: 'M2' }), false)).toMatchObject({ state: 'model-changed', action: 'blocked' });
    expect(decide(entry, facts({ model: 'M2' }), true)).toMatchObject({ action: 'generate' });
    expect(decide(entry, facts({ model: 'M2', job: 'J2' }), false)).toMatchObject({ action: 'generate', reasons: ['recipe changed', 'the model changed since the last build (results may differ)'] });
  });

  it('an output edited by hand is never replaced without --force', () => {
    const edited = facts({ disk: { 'a/hero.png': 'EDITED', 'a/hero@2x.webp': 'W' }, job: 'J2' });
    expect(decide(entry, edited, false)).toMatchObject({ state: 'modified', action: 'blocked', reasons: ['a/hero.png was changed since it was built; --force replaces it (keep a copy first if the edit matters)'] });
    expect(decide(entry, edited, true).action).toBe('generate');
  });

  it('no lock entry: missing builds; an image saved with the recipe is recorded; any other file is left alone', () => {
    expect(decide(undefined, facts({ disk: {} }), false)).toMatchObject({ state: 'missing', action: 'generate' });
    expect(decide(undefined, facts({ adoptable: true }), false)).toMatchObject({ state: 'fresh', action: 'adopt' });
    expect(decide(undefined, facts({ adoptable: true, disk: { 'a/hero.png': 'H' } }), false)).toMatchObject({ state: 'stale', action: 'adopt', reasons: expect.arrayContaining(['a/hero@2x.webp is missing']) });
    expect(decide(undefined, now, false)).toMatchObject({ state: 'untracked', action: 'blocked' });
    expect(decide(undefined, now, true).action).toBe('generate');
  });
});
