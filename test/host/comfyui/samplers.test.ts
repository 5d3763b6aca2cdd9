import { describe, expect, it } from 'vitest';
import { checkSamplerOffered, COMFY_MAPPED_SAMPLERS, fromComfySampler, offeredSamplers, toComfySampler } from '../../../src/host/comfyui/samplers';
import { PipelineError } from '../../../src/shared/errors';
import { SAMPLER_NAMES } from '../../../src/shared/request';
import { COMFY_SAMPLERS, COMFY_SCHEDULERS } from '../../helpers/comfyServer';

describe('sampler mapping', () => {
  it('maps Atelier names to ComfyUI (sampler, scheduler) pairs', () => {
    expect(toComfySampler('euler').comfy).toEqual({ sampler_name: 'euler', scheduler: 'normal' });
    expect(toComfySampler('euler-a').comfy).toEqual({ sampler_name: 'euler_ancestral', scheduler: 'normal' });
    expect(toComfySampler('ddim').comfy).toEqual({ sampler_name: 'ddim', scheduler: 'ddim_uniform' });
    expect(toComfySampler('dpmpp-2m').comfy).toEqual({ sampler_name: 'dpmpp_2m', scheduler: 'normal' });
    expect(toComfySampler('dpmpp-2m-karras').comfy).toEqual({ sampler_name: 'dpmpp_2m', scheduler: 'karras' });
    expect(toComfySampler('lcm').comfy).toEqual({ sampler_name: 'lcm', scheduler: 'sgm_uniform' });
  });

  it('runs model-default as ComfyUI’s default workflow does (euler + normal) and says so', () => {
    expect(toComfySampler('model-default')).toEqual({ resolved: 'euler', comfy: { sampler_name: 'euler', scheduler: 'normal' } });
  });

  it('refuses pndm before anything is submitted, naming the samplers that map', () => {
    expect(() => toComfySampler('pndm')).toThrow(PipelineError);
    try {
      toComfySampler('pndm');
    } catch (error) {
      expect((error as PipelineError).code).toBe('INVALID_INPUT');
      expect((error as PipelineError).argument).toBe('sampler');
      expect((error as PipelineError).message).toMatch(/no ComfyUI equivalent.*euler, euler-a, ddim, dpmpp-2m, dpmpp-2m-karras, lcm/);
    }
  });

  it('reads back both ways: every mapped name survives the round trip, unknown pairs map to nothing', () => {
    for (const name of COMFY_MAPPED_SAMPLERS) {
      const { comfy } = toComfySampler(name);
      expect(fromComfySampler(comfy.sampler_name, comfy.scheduler)).toBe(name);
    }
    expect(fromComfySampler('dpmpp_2m', 'exponential')).toBeUndefined();
    expect(fromComfySampler('ipndm', 'normal')).toBeUndefined();
    expect(COMFY_MAPPED_SAMPLERS).toEqual(SAMPLER_NAMES.filter((s) => s !== 'model-default' && s !== 'pndm'));
  });

  it('every mapped pair is in ComfyUI’s own lists (comfy/samplers.py)', () => {
    for (const name of COMFY_MAPPED_SAMPLERS) {
      const { comfy } = toComfySampler(name);
      expect(COMFY_SAMPLERS).toContain(comfy.sampler_name);
      expect(COMFY_SCHEDULERS).toContain(comfy.scheduler);
    }
    expect(offeredSamplers({ samplers: COMFY_SAMPLERS, schedulers: COMFY_SCHEDULERS })).toEqual(COMFY_MAPPED_SAMPLERS);
  });

  it('refuses a pair a server does not offer, with the server’s list', () => {
    const offered = { samplers: ['euler', 'dpmpp_2m'], schedulers: ['normal'] };
    expect(() => checkSamplerOffered('lcm', toComfySampler('lcm').comfy, offered, 'ComfyUI at x:1')).toThrow(/needs ComfyUI's lcm, which the server at ComfyUI at x:1 does not offer \(it has euler, dpmpp_2m\)/);
    expect(() => checkSamplerOffered('dpmpp-2m-karras', toComfySampler('dpmpp-2m-karras').comfy, offered, 'h')).toThrow(/karras scheduler/);
    expect(() => checkSamplerOffered('euler', toComfySampler('euler').comfy, offered, 'h')).not.toThrow();
    expect(offeredSamplers(offered)).toEqual(['euler', 'dpmpp-2m']);
  });
});
