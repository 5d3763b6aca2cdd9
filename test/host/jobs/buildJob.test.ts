import { describe, expect, it } from 'vitest';
import { buildJob, type JobInput, type JobSettings } from '../../../src/host/jobs/buildJob';
import { drawSeed } from '../../../src/host/jobs/seed';
import { defaultStem } from '../../../src/host/jobs/stem';
import { PipelineError } from '../../../src/shared/errors';
import { MAX_SEED } from '../../../src/shared/request';

const settings: JobSettings = {
  negativePrompt: 'blurry',
  sampler: 'euler-a',
  steps: 20,
  guidanceScale: 7.5,
  seed: -1,
  width: 512,
  height: 512,
  executionProvider: 'auto',
  workingResolution: 'model',
  controlNetRoots: [],
};
const png = new Uint8Array([137, 80, 78, 71]);
const input = (patch: Partial<JobInput> = {}): JobInput => ({ modelDir: '/models/sd', prompt: 'A red fox, watercolor!', settings, source: { kind: 'txt2img' }, output: { dir: '/out' }, ...patch });

/** A random source that counts its draws. */
function counter(values: number[]): { random: () => number; draws: () => number } {
  let n = 0;
  return { random: () => values[n++] ?? 0, draws: () => n };
}

function refusal(run: () => unknown): PipelineError {
  try {
    run();
  } catch (error) {
    if (error instanceof PipelineError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('buildJob', () => {
  it('draws a random seed once and records it in the request and the file name', () => {
    const source = counter([123456, 999]);
    const job = buildJob(input(), source.random);
    expect(source.draws()).toBe(1);
    expect(job.request.sampling.seed).toBe(123456);
    expect(job.output).toEqual({ dir: '/out', stem: 'a-red-fox-watercolor-123456' });
    expect(job.request).toMatchObject({ kind: 'txt2img', modelDir: '/models/sd', prompt: 'A red fox, watercolor!', negativePrompt: 'blurry', width: 512, height: 512, previewEvery: 0 });
    expect(job.loras).toEqual([]);
  });

  it('keeps a fixed seed and draws nothing (the inverse)', () => {
    const source = counter([7]);
    const job = buildJob(input({ settings: { ...settings, seed: 42 } }), source.random);
    expect(source.draws()).toBe(0);
    expect(job.request.sampling.seed).toBe(42);
    expect(job.output.stem).toBe('a-red-fox-watercolor-42');
    expect(buildJob(input({ settings: { ...settings, seed: 0 } }), source.random).request.sampling.seed).toBe(0);
  });

  it('two random jobs get their own seeds, each in its own name', () => {
    const source = counter([1, 2]);
    const [a, b] = [buildJob(input(), source.random), buildJob(input(), source.random)];
    expect([a.request.sampling.seed, b.request.sampling.seed]).toEqual([1, 2]);
    expect([a.output.stem, b.output.stem]).toEqual(['a-red-fox-watercolor-1', 'a-red-fox-watercolor-2']);
  });

  it('names results after the source image when asked (canvas, Vary, control input), and keeps a chosen stem and extension', () => {
    const from = (kind: 'img2img' | 'inpaint' | 'outpaint', verb?: string) => {
      const source =
        kind === 'img2img'
          ? { kind, initImage: png, strength: 0.5 }
          : kind === 'inpaint'
            ? { kind, initImage: png, strength: 0.5, mask: png, maskBlur: 4 }
            : { kind, initImage: png, strength: 1, extend: { left: 64, right: 0, top: 0, bottom: 0 }, fill: 'edge' as const, maskBlur: 8 };
      return buildJob(input({ settings: { ...settings, seed: 9 }, source, nameAfter: { source: 'photo', verb } })).output.stem;
    };
    expect([from('img2img'), from('inpaint'), from('outpaint'), from('img2img', 'depth')]).toEqual(['photo-vary-9', 'photo-inpaint-9', 'photo-outpaint-9', 'photo-depth-9']);
    expect(buildJob(input({ output: { dir: '/out', stem: 'mine', ext: '.webp' } })).output).toEqual({ dir: '/out', stem: 'mine', ext: '.webp' });
  });

  it('builds each kind with its images, mask, controls, working resolution and ControlNet folders', () => {
    const controls = [{ type: 'depth' as const, image: png, scale: 0.8, start: 0, end: 1 }];
    const job = buildJob(
      input({ settings: { ...settings, seed: 1, workingResolution: 'full', controlNetRoots: ['/cn'] }, source: { kind: 'inpaint', initImage: png, strength: 0.6, mask: png, maskBlur: 4, onlyMasked: { padding: 32 } }, controls, labels: { maskLabel: 'photo.mask.png' } }),
    );
    expect(job.request).toMatchObject({ kind: 'inpaint', initImage: png, mask: png, strength: 0.6, maskBlur: 4, onlyMasked: { padding: 32 }, workingResolution: 'full', controls, controlNetRoots: ['/cn'] });
    expect(job.labels).toEqual({ maskLabel: 'photo.mask.png' });
    // txt2img has no image fields; no controls, no ControlNet folders when none are given.
    const plain = buildJob(input({ settings: { ...settings, seed: 1 } })).request;
    expect(Object.keys(plain).sort()).toEqual(['executionProvider', 'height', 'kind', 'modelDir', 'negativePrompt', 'previewEvery', 'prompt', 'sampling', 'width']);
  });

  it('is plain data: it survives structured cloning (the worker and network edges)', () => {
    const job = buildJob(input({ settings: { ...settings, seed: 3 }, source: { kind: 'img2img', initImage: png, strength: 0.5 } }));
    expect(structuredClone(job)).toEqual(job);
  });

  it('refuses bad values before any work, naming the field', () => {
    const cases: [Partial<JobInput>, string, RegExp][] = [
      [{ settings: { ...settings, steps: 0 } }, 'steps', /steps must be a whole number from 1/],
      [{ settings: { ...settings, seed: MAX_SEED + 1 } }, 'seed', /seed must be a whole number from 0 to 4294967295, got 4294967296/],
      [{ settings: { ...settings, seed: -2 } }, 'seed', /got -2/],
      [{ settings: { ...settings, seed: 1.5 } }, 'seed', /got 1.5/],
      [{ settings: { ...settings, width: 500 } }, 'width', /multiple of 8, got 500 \(try 496 or 504\)/],
      [{ settings: { ...settings, guidanceScale: Number.NaN } }, 'guidanceScale', /guidance/],
      [{ source: { kind: 'img2img', initImage: png, strength: 1.5 } }, 'strength', /strength must be a number from 0/],
      [{ source: { kind: 'inpaint', initImage: png, strength: 0.5, mask: new Uint8Array(0), maskBlur: 4 } }, 'mask', /mask/],
      [{ controls: [{ type: 'depth', image: png, scale: 1, start: 0.6, end: 0.5 }] }, 'controls', /start and end/],
      [{ loras: [{ name: ' ', weight: 1 }] }, 'loras', /LoRA 1 must be named/],
      [{ loras: [{ name: 'detail', weight: Number.POSITIVE_INFINITY }] }, 'loras', /LoRA detail: the weight/],
    ];
    for (const [patch, argument, message] of cases) {
      const error = refusal(() => buildJob(input(patch)));
      expect(error.code, argument).toBe('INVALID_INPUT');
      expect(error.argument, argument).toBe(argument);
      expect(error.message, argument).toMatch(message);
    }
    // The inverse: the same job with good values is accepted.
    expect(() => buildJob(input({ loras: [{ name: 'detail', weight: 0.7 }] }))).not.toThrow();
  });
});

describe('drawSeed and defaultStem', () => {
  it('−1 and unset draw; 0…MAX_SEED are kept', () => {
    expect(drawSeed(-1, () => 5)).toBe(5);
    expect(drawSeed(undefined, () => 6)).toBe(6);
    expect(drawSeed(MAX_SEED, () => 5)).toBe(MAX_SEED);
    for (let i = 0; i < 50; i++) {
      const seed = drawSeed(-1);
      expect(Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED).toBe(true);
    }
  });

  it('derives the prompt-slug name, or the source image name with a verb', () => {
    expect(defaultStem('A lighthouse at dusk', 12)).toBe('a-lighthouse-at-dusk-12');
    expect(defaultStem('anything', 12, { source: 'IMG_0001', kind: 'inpaint' })).toBe('IMG_0001-inpaint-12');
  });
});
