/** Display names of the samplers, shared by the side panel and the host's summaries. */
import type { SamplerName } from './request';

export const SAMPLER_LABELS: Readonly<Record<SamplerName, string>> = {
  'model-default': 'Model default',
  euler: 'Euler',
  'euler-a': 'Euler a',
  ddim: 'DDIM',
  'dpmpp-2m': 'DPM++ 2M',
  'dpmpp-2m-karras': 'DPM++ 2M Karras',
  lcm: 'LCM',
  pndm: 'PNDM (PLMS)',
};
