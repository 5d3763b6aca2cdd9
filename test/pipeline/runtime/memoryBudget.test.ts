/** The memory pre-check: the estimate, the refusal's wording (need, available, a size that fits) and its inverse. */
import { describe, expect, it } from 'vitest';
import { describeForUser } from '../../../src/host/errors/userMessage';
import { PipelineError } from '../../../src/shared/errors';
import { availableMemoryBytes, checkJobFits, estimateJobMemory, SD15_UNET_BYTES, sizeThatFits, type JobShape } from '../../../src/pipeline/runtime/memoryBudget';
import { graphBytes, precheckJobMemory } from '../../../src/pipeline/runtime/jobMemory';
import type { LoadedModel } from '../../../src/pipeline/runtime/loadedModel';
import { inspectModelFolder } from '../../../src/pipeline/models/modelFolder';
import type { Txt2ImgRequest } from '../../../src/shared/request';
import { tinyModel } from '../../helpers/fixtures';

const GB = 1e9;
const sd15 = (width: number, height: number, loaded = false): JobShape => ({ unetBytes: SD15_UNET_BYTES, weightsToLoadBytes: loaded ? 0 : 4.3 * GB, width, height });

function thrown(fn: () => unknown): PipelineError {
  try {
    fn();
  } catch (error) {
    return error as PipelineError;
  }
  throw new Error('expected a throw');
}

describe('memory estimate', () => {
  it('grows with the area, faster than linearly, and with the UNet size', () => {
    const at512 = estimateJobMemory(sd15(512, 512)).workingBytes;
    const at1024 = estimateJobMemory(sd15(1024, 1024)).workingBytes;
    expect(at1024).toBeGreaterThan(4 * at512);
    expect(estimateJobMemory({ ...sd15(512, 512), unetBytes: SD15_UNET_BYTES / 2 }).workingBytes).toBeCloseTo(at512 / 2, -3);
    expect(estimateJobMemory(sd15(512, 512)).totalBytes).toBe(4.3 * GB + at512);
    expect(estimateJobMemory({ unetBytes: SD15_UNET_BYTES, weightsToLoadBytes: 1 }).totalBytes).toBe(1);
  });

  it('reads MemAvailable from /proc/meminfo text', () => {
    expect(availableMemoryBytes('MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   16000000 kB\n')).toBe(16000000 * 1024);
    expect(availableMemoryBytes(undefined)).toBeGreaterThan(0);
  });
});

describe('memory pre-check', () => {
  it('passes a job that fits', () => {
    expect(() => checkJobFits(sd15(512, 512), 20 * GB)).not.toThrow();
  });

  it('refuses a job that does not fit, naming the size, the need, what is available and a size that fits', () => {
    const available = estimateJobMemory(sd15(640, 640)).totalBytes + 1;
    const error = thrown(() => checkJobFits(sd15(1024, 768), available));
    expect(error).toBeInstanceOf(PipelineError);
    expect(error.code).toBe('NOT_ENOUGH_MEMORY');
    expect(error.argument).toBe('width');
    const need = estimateJobMemory(sd15(1024, 768)).totalBytes;
    expect(error.message).toContain(`a 1024×768 image needs about ${(need / GB).toFixed(1)} GB of memory`);
    expect(error.message).toContain(`but ${(available / GB).toFixed(1)} GB is available`);
    const fits = sizeThatFits(sd15(1024, 768), available);
    expect(fits).toBeDefined();
    expect(error.message).toContain(`${fits?.width}×${fits?.height} fits`);
    // The suggestion keeps the aspect ratio, fits, and is the largest 64-px step that does.
    expect(fits).toEqual({ width: 704, height: 528 });
    expect(estimateJobMemory(sd15(704, 528)).totalBytes).toBeLessThanOrEqual(available);
    expect(estimateJobMemory(sd15(768, 576)).totalBytes).toBeGreaterThan(available);
  });

  it('says when the model alone does not fit', () => {
    const error = thrown(() => checkJobFits(sd15(512, 512), 2 * GB));
    expect(error.message).toContain('the model alone does not fit');
    expect(error.message).toContain('4.3 GB of weights to load');
  });

  it('is worded by the host with the pipeline message', () => {
    const error = thrown(() => checkJobFits(sd15(1024, 1024), 8 * GB));
    const words = describeForUser({ code: error.code, message: error.message, argument: error.argument });
    expect(words.message).toMatch(/^Not enough free memory, so the job did not start: a 1024×1024 image needs about [\d.]+ GB of memory .* but 8\.0 GB is available; \d+×\d+ fits/);
  });

  it('counts a model folder\'s weights before loading and not once the model is warm', () => {
    const dir = tinyModel();
    const folder = inspectModelFolder(dir);
    const request: Txt2ImgRequest = {
      kind: 'txt2img', modelDir: dir, prompt: 'a fox', negativePrompt: '', width: 512, height: 512,
      sampling: { sampler: 'euler', steps: 2, guidanceScale: 7.5, seed: 1 }, previewEvery: 0, executionProvider: 'cpu',
    };
    const weights = graphBytes(folder.unet) + graphBytes(folder.textEncoder) + graphBytes(folder.vaeDecoder);
    expect(weights).toBeGreaterThan(1000);
    const cold = precheckJobMemory(request, undefined, 100 * GB);
    expect(cold?.weightsBytes).toBe(weights);
    const warm = { folder, provider: 'cpu' } as unknown as LoadedModel;
    expect(precheckJobMemory(request, warm, 100 * GB)?.weightsBytes).toBe(0);
    expect(() => precheckJobMemory(request, undefined, weights / 2)).toThrow(/512×512 image needs about .* the model alone does not fit/);
    // ATELIER_MEMORY_CHECK=off runs what the estimate refuses; any other value keeps the check.
    expect(precheckJobMemory(request, undefined, weights / 2, { ATELIER_MEMORY_CHECK: 'off' })).toBeUndefined();
    expect(() => precheckJobMemory(request, undefined, weights / 2, { ATELIER_MEMORY_CHECK: 'on' })).toThrow(/the model alone does not fit/);
  });
});
