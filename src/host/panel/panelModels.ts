/** The models the panel offers: the configured one, models in the Hugging Face cache, and the demo model. */
import path from 'node:path';
import type { PanelModel } from '../../shared/protocol/panel';
import { listCachedModels } from '../models/cachedModels';
import type { ConfiguredModel } from '../models/modelSetting';

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

export async function listModelChoices(configured: ConfiguredModel | undefined, demoDir: string, cacheRoot: string): Promise<ModelChoice[]> {
  const choices: ModelChoice[] = [];
  const add = (dir: string, label: string, description: string): void => {
    if (!choices.some((c) => path.resolve(c.dir) === path.resolve(dir))) choices.push({ id: String(choices.length + 1), dir, label, description });
  };
  if (configured && !configured.demo) add(configured.dir, path.basename(configured.dir), 'settings');
  for (const cached of await listCachedModels(cacheRoot).catch(() => [])) add(cached.dir, cached.repo, `${familyLabel(cached.pipelineClass)} · ${cached.commit.slice(0, 7)}`);
  add(demoDir, 'Demo model', 'analytic test model, not trained');
  return choices;
}
