/**
 * What `atelier.modelPath` holds and the folder it means. The built-in demo model is stored as a
 * marker, not as a path: its folder lies inside the versioned extension folder
 * (`…/atelier-dev.atelier-0.1.0-linux-x64/dist/demo-model`), which an update removes. Pure, no vscode.
 */
import path from 'node:path';

/** The setting value meaning "the demo model that ships with this Atelier". */
export const DEMO_MODEL_SETTING = 'builtin:demo';

export interface ConfiguredModel {
  /** The folder to load. */
  readonly dir: string;
  readonly demo: boolean;
  /** Set when the value was an older release's absolute demo path, read as the marker. */
  readonly migratedFrom?: string;
}

/**
 * An absolute path to `dist/demo-model` inside an installed Atelier (any version, any target): what
 * releases before the marker stored.
 */
export function isInstalledDemoPath(value: string, extensionId: string): boolean {
  const parts = value.split(/[\\/]+/).filter((p) => p !== '');
  if (parts.length < 3 || parts[parts.length - 1] !== 'demo-model' || parts[parts.length - 2] !== 'dist') return false;
  const install = parts[parts.length - 3].toLowerCase();
  return install.startsWith(`${extensionId.toLowerCase()}-`);
}

/** The folder the setting means, or undefined when none is configured. */
export function resolveModelSetting(value: string, demoDir: string, extensionId: string): ConfiguredModel | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (trimmed === DEMO_MODEL_SETTING) return { dir: demoDir, demo: true };
  if (path.resolve(trimmed) === path.resolve(demoDir)) return { dir: demoDir, demo: true };
  if (isInstalledDemoPath(trimmed, extensionId)) return { dir: demoDir, demo: true, migratedFrom: trimmed };
  return { dir: trimmed, demo: false };
}

/** The value to store for a chosen folder: the marker for this install's demo model, else the path. */
export function settingValueFor(dir: string, demoDir: string): string {
  return path.resolve(dir) === path.resolve(demoDir) ? DEMO_MODEL_SETTING : dir;
}

/**
 * The extension's README as packaged: vsce stores it as `readme.md` whatever its name in the
 * repository, and Linux file systems are case-sensitive. `names` is the extension folder's listing.
 */
export function readmeName(names: readonly string[]): string | undefined {
  return names.find((n) => n === 'README.md') ?? names.find((n) => n.toLowerCase() === 'readme.md');
}
