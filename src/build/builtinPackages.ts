/**
 * The npm packages whose trained weights Atelier converts and ships: each must be listed under
 * "builtin" in assets/catalogue.json with the installed version and licence, and the licences must
 * allow redistribution and commercial use (or carry a written flag).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { licenceProblem } from '../shared/licences';

export const CATALOGUE_FILE = path.resolve(__dirname, '..', '..', 'assets', 'catalogue.json');

/** A package's folder (some packages' `exports` hide package.json from require.resolve). */
export function packageRoot(name: string): string {
  const found = (require.resolve.paths(name) ?? []).map((dir) => path.join(dir, name)).find((dir) => existsSync(path.join(dir, 'package.json')));
  if (!found) throw new Error(`${name} is not installed; run npm ci`);
  return found;
}

export interface BuiltinEntry {
  readonly id: string;
  readonly package: string;
  readonly version: string;
  readonly licence: string;
  /** The licence of the trained weights, when it differs from the package's (weights republished by a third party). */
  readonly modelLicence?: string;
  readonly origin?: string;
  readonly source: string;
  readonly flagged?: string;
}

export interface CheckedPackage {
  readonly root: string;
  readonly version: string;
  readonly license: string;
  /** package.json's repository URL, when it has one. */
  readonly repository: string | undefined;
  readonly entries: readonly BuiltinEntry[];
}

/** Finds `name`, and refuses it unless the catalogue lists this version and licence and the licences are shippable. */
export function checkBuiltinPackage(name: string, resolvePackage: (name: string) => string = packageRoot, catalogueFile = CATALOGUE_FILE): CheckedPackage {
  const builtin = (JSON.parse(readFileSync(catalogueFile, 'utf8')) as { builtin?: BuiltinEntry[] }).builtin ?? [];
  const root = resolvePackage(name);
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; license: string; repository?: { url?: string } };
  const entries = builtin.filter((b) => b.package === name);
  if (entries.length === 0) throw new Error(`${name} is not listed under "builtin" in assets/catalogue.json; record its licence and source there and in THIRD_PARTY_NOTICES.md first`);
  for (const listed of entries) {
    if (listed.licence !== pkg.license || listed.version !== pkg.version) throw new Error(`assets/catalogue.json lists ${name}@${listed.version} (${listed.licence}) but ${pkg.version} (${pkg.license}) is installed; update the catalogue and THIRD_PARTY_NOTICES.md`);
    for (const licence of [listed.licence, listed.modelLicence].filter((l): l is string => l !== undefined)) {
      const problem = licenceProblem(licence, listed.flagged);
      if (problem) throw new Error(`${name} (${listed.id}): ${problem}`);
    }
  }
  return { root, version: pkg.version, license: pkg.license, repository: pkg.repository?.url, entries };
}
