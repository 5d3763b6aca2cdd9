/**
 * A CodeLens on each recipe file saying where its image stands, computed like `atelier build --check`
 * (hashes only, nothing generated): "Generate ▸" (no image yet), "Up to date ✓", "Stale ⟳" (with why),
 * or the recipe's first problem. Clicking builds that recipe. Refreshed on save, on image changes and
 * after every build.
 */
import * as vscode from 'vscode';
import type { BuildItem } from '../../host/recipes/runBuild';
import type { GenerateDeps } from '../generation/deps';
import { onDidBuild, runWorkspaceBuild } from './buildAssets';

export const BUILD_RECIPE_COMMAND = 'atelier.buildRecipe';

/** The lens's words for a recipe's state. */
export function lensTitle(item: BuildItem | undefined): { title: string; tooltip: string } {
  if (!item) return { title: 'Atelier: Generate ▸', tooltip: 'Generate the image of this recipe' };
  if (item.outcome === 'up-to-date' || (item.outcome === 'would-build' && item.state === 'fresh')) return { title: 'Atelier: Up to date ✓', tooltip: `${item.image} matches this recipe; click to rebuild anyway` };
  if (item.outcome === 'would-build' && item.state === 'missing') return { title: 'Atelier: Generate ▸', tooltip: `Generate ${item.image}` };
  if (item.outcome === 'would-build') return { title: 'Atelier: Stale ⟳', tooltip: `${item.reasons.join('; ')} — click to rebuild ${item.image}` };
  if (item.outcome === 'blocked') return { title: 'Atelier: Needs --force ⚠', tooltip: item.reasons.join('; ') };
  return { title: `Atelier: ✗ ${item.problems[0]?.replace(/^[^:]*: /, '') ?? 'cannot build'}`, tooltip: item.problems.join('\n') };
}

class RecipeLenses implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly deps: GenerateDeps) {}

  refresh(): void {
    this.changed.fire();
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (document.uri.scheme !== 'file' || !vscode.workspace.getWorkspaceFolder(document.uri)) return [];
    let item: BuildItem | undefined;
    try {
      item = (await runWorkspaceBuild(this.deps, document.uri, 'check')).items[0];
    } catch (error) {
      this.deps.log.warn(`recipe status of ${document.uri.fsPath}: ${(error as Error).message}`);
    }
    const { title, tooltip } = lensTitle(item);
    const range = new vscode.Range(0, 0, 0, 0);
    return [new vscode.CodeLens(range, { title, tooltip, command: BUILD_RECIPE_COMMAND, arguments: [document.uri] })];
  }
}

export function registerRecipeLenses(deps: GenerateDeps): vscode.Disposable[] {
  const lenses = new RecipeLenses(deps);
  const images = vscode.workspace.createFileSystemWatcher('**/*.{png,jpg,jpeg,webp,atelier.json}');
  return [
    vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/*.atelier.json' }, lenses),
    images,
    images.onDidChange(() => lenses.refresh()),
    images.onDidCreate(() => lenses.refresh()),
    images.onDidDelete(() => lenses.refresh()),
    vscode.workspace.onDidSaveTextDocument(() => lenses.refresh()),
    onDidBuild(() => lenses.refresh()),
  ];
}
