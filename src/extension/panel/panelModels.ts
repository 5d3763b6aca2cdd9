/** The models the panel offers: the configured folder, the built-in demo model, and the Hub cache. */
import path from 'node:path';
import type { PanelModel } from '../../shared/protocol/panel';
import { listCachedModels } from '../models/cachedModels';

export interface ModelChoice extends PanelModel {
  readonly dir: string;
}

const FAMILIES: Record<string, string> = {
  StableDiffusionPipeline: 'SD 1.x/2.x',
  OnnxStableDiffusionPipeline: 'SD 1.x/2.x',
  ORTStableDiffusionPipeline: 'SD 1.x/2.x',
  LatentConsistencyModelPipeline: 'LCM',
  ORTLatentConsistencyModelPipeline: 'LCM',
  StableDiffusionInpaintPipeline: 'SD inpainting',
  OnnxStableDiffusionInpaintPipeline: 'SD inpainting',
};

export function familyLabel(pipelineClass: string | undefined): string {
  return (pipelineClass && FAMILIES[pipelineClass]) ?? pipelineClass ?? 'unknown family';
}

export async function listModelChoices(configured: string, demoDir: string, cacheRoot: string): Promise<ModelChoice[]> {
  const choices: ModelChoice[] = [];
  const add = (dir: string, label: string, description: string): void => {
    if (dir !== '' && !choices.some((c) => path.resolve(c.dir) === path.resolve(dir))) choices.push({ id: String(choices.length + 1), dir, label, description });
  };
  if (configured !== '') add(configured, path.basename(configured), path.resolve(configured) === path.resolve(demoDir) ? 'demo · settings' : 'settings');
  for (const cached of await listCachedModels(cacheRoot).catch(() => [])) add(cached.dir, cached.repo, `${familyLabel(cached.pipelineClass)} · ${cached.commit.slice(0, 7)}`);
  add(demoDir, 'Demo model', 'analytic test model, not trained');
  return choices;
}
