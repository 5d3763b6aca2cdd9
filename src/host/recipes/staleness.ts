/**
 * Whether a recipe's image must be made again, from hashes alone (no generation): the lock file's
 * record against what is on disk now. Pure, so every case is a unit test.
 */
import type { LockEntry } from './lockFile';

export type BuildState = 'fresh' | 'missing' | 'stale' | 'model-changed' | 'modified' | 'untracked';
/** generate: run the model; derive: only remake derived files from the image; adopt: record an image saved with this recipe; blocked: needs --force. */
export type BuildAction = 'skip' | 'generate' | 'derive' | 'adopt' | 'blocked';

export interface CurrentFacts {
  readonly imageRel: string;
  readonly job: string;
  readonly outputs: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly model: string;
  /** Hash of each file of interest now on disk (the image, the lock's files, the derived files wanted); undefined when missing. */
  readonly disk: Readonly<Record<string, string | undefined>>;
  /** The derived files the recipe asks for now. */
  readonly derived: readonly string[];
  /** Inputs made by a recipe rebuilt earlier in this build. */
  readonly rebuiltInputs: readonly string[];
  /** An existing image not in the lock whose embedded parameters match the recipe. */
  readonly adoptable: boolean;
}

export interface Decision {
  readonly state: BuildState;
  readonly action: BuildAction;
  readonly reasons: readonly string[];
}

function inputReasons(entry: LockEntry, now: CurrentFacts): string[] {
  const reasons: string[] = [];
  for (const [rel, hash] of Object.entries(now.inputs)) {
    if (now.rebuiltInputs.includes(rel)) reasons.push(`input ${rel} was rebuilt`);
    else if (entry.inputs[rel] === undefined) reasons.push(`new input ${rel}`);
    else if (entry.inputs[rel] !== hash) reasons.push(`input ${rel} changed`);
  }
  for (const rel of Object.keys(entry.inputs)) if (now.inputs[rel] === undefined) reasons.push(`input ${rel} is no longer used`);
  return reasons;
}

export function decide(entry: LockEntry | undefined, now: CurrentFacts, force: boolean): Decision {
  const imageThere = now.disk[now.imageRel] !== undefined;
  const derivedMissing = now.derived.filter((rel) => now.disk[rel] === undefined);
  if (!entry) {
    if (!imageThere) return { state: 'missing', action: 'generate', reasons: ['not built yet'] };
    if (force) return { state: 'untracked', action: 'generate', reasons: ['--force'] };
    if (now.adoptable) return { state: derivedMissing.length > 0 ? 'stale' : 'fresh', action: 'adopt', reasons: ['saved with this recipe; not yet in atelier.lock.json', ...derivedMissing.map((rel) => `${rel} is missing`)] };
    return { state: 'untracked', action: 'blocked', reasons: [`${now.imageRel} exists but is not in atelier.lock.json and its parameters do not match this recipe; --force replaces it`] };
  }
  if (force) return { state: 'stale', action: 'generate', reasons: ['--force'] };
  const modified = Object.entries(entry.files).filter(([rel, hash]) => now.disk[rel] !== undefined && now.disk[rel] !== hash).map(([rel]) => rel);
  if (modified.length > 0) return { state: 'modified', action: 'blocked', reasons: modified.map((rel) => `${rel} was changed since it was built; --force replaces it (keep a copy first if the edit matters)`) };
  const reasons = [
    ...(entry.job !== now.job ? ['recipe changed'] : []),
    ...inputReasons(entry, now),
    ...(!imageThere ? [`${now.imageRel} is missing`] : []),
  ];
  const modelChanged = entry.model !== now.model;
  if (reasons.length > 0) return { state: 'stale', action: 'generate', reasons: modelChanged ? [...reasons, 'the model changed since the last build (results may differ)'] : reasons };
  if (modelChanged) return { state: 'model-changed', action: 'blocked', reasons: ['the model changed since the last build, so results may differ; --force rebuilds with the new model'] };
  const derivedReasons = [...(entry.outputs !== now.outputs ? ['derived outputs changed'] : []), ...derivedMissing.map((rel) => `${rel} is missing`)];
  if (derivedReasons.length > 0) return { state: 'stale', action: 'derive', reasons: derivedReasons };
  return { state: 'fresh', action: 'skip', reasons: [] };
}
