/**
 * The ComfyUI backend against the loopback test double: outpaint, only-masked inpaint and ControlNet
 * units, each checked on what the server was sent and on the pixels the host keeps.
 */
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { ComfyBackend } from '../../../src/host/backend/comfyBackend';
import { decodeRgba } from '../../../src/host/images/imageCodec';
import { buildJob, type JobInput, type JobSettings } from '../../../src/host/jobs/buildJob';
import { PipelineError } from '../../../src/shared/errors';
import { startComfyServer, type ComfyDouble } from '../../helpers/comfyServer';
import { blockImage, pngOf, rectMask } from '../../helpers/images';

const CHECKPOINT = 'SD1.5/dreamshaper_8.safetensors';
const settings: JobSettings = { negativePrompt: '', sampler: 'euler', steps: 3, guidanceScale: 7, seed: 11, width: 64, height: 64, executionProvider: 'auto', workingResolution: 'model', controlNetRoots: [] };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ double: ComfyDouble; backend: ComfyBackend }> {
  const double = await startComfyServer();
  const backend = new ComfyBackend({ url: double.url });
  cleanups.push(() => double.close(), () => backend.close());
  return { double, backend };
}

const job = (input: Partial<JobInput> & Pick<JobInput, 'source'>) => buildJob({ modelDir: CHECKPOINT, prompt: 'p', settings, output: { dir: '/tmp' }, ...input });
const classes = (double: ComfyDouble, i = 0): string[] => Object.values(double.prompts[i].prompt).map((n) => String(n.class_type));
async function sizesUploaded(double: ComfyDouble): Promise<string[]> {
  return Promise.all([...double.uploads.values()].map(async (png) => {
    const m = await sharp(png).metadata();
    return `${m.width}x${m.height}`;
  }));
}

describe('ComfyBackend', () => {
  it('outpaint: the server pads with ImagePadForOutpaint; the result has the grown size and every original pixel', async () => {
    const { double, backend } = await setup();
    // Odd sizes: a 100×60 image grown by 30 left and 20 top.
    const original = { width: 100, height: 60, channels: 3 as const, data: blockImage(100, 60, 3) };
    const warnings: string[] = [];
    const result = await backend.generate(job({ source: { kind: 'outpaint', initImage: await pngOf(original.data, 100, 60), strength: 1, extend: { left: 30, right: 0, top: 20, bottom: 0 }, fill: 'edge', maskBlur: 4 } }), { onWarning: (m) => warnings.push(m) });
    expect(classes(double)).toContain('ImagePadForOutpaint');
    const pad = Object.values(double.prompts[0].prompt).find((n) => n.class_type === 'ImagePadForOutpaint')?.inputs ?? {};
    // Sides in multiples of 8 at the working scale (104×64 for 100×60).
    expect([pad.left, pad.top, pad.right, pad.bottom]).toEqual([32, 24, 0, 0]);
    expect(warnings.join('\n')).toMatch(/starts grey/);
    const out = await decodeRgba(result.png, 'result');
    expect([out.width, out.height]).toEqual([130, 80]);
    for (let y = 0; y < 60; y++) {
      for (let x = 0; x < 100; x++) {
        const o = (y * 100 + x) * 3;
        const r = ((y + 20) * 130 + x + 30) * 4;
        if (out.data[r] !== original.data[o] || out.data[r + 1] !== original.data[o + 1] || out.data[r + 2] !== original.data[o + 2]) throw new Error(`original pixel (${x}, ${y}) changed`);
      }
    }
  });

  it('only-masked: the server paints the box around the mask at ≥ 512 px; pixels outside the mask come back byte-identical', async () => {
    const { double, backend } = await setup();
    const original = { width: 200, height: 120, channels: 3 as const, data: blockImage(200, 120, 5) };
    const mask = { width: 200, height: 120, channels: 1 as const, data: rectMask(200, 120, 90, 50, 110, 70) };
    const result = await backend.generate(job({ source: { kind: 'inpaint', initImage: await pngOf(original.data, 200, 120), strength: 1, mask: await pngOf(mask.data, 200, 120, 1), maskBlur: 2, onlyMasked: { padding: 12 } } }));
    // The crop is 44×44 (20 + 2×12): painted at 512×512, not at the image's 200×120.
    expect(await sizesUploaded(double)).toEqual(['512x512', '512x512']);
    const out = await decodeRgba(result.png, 'result');
    expect([out.width, out.height]).toEqual([200, 120]);
    let changedInside = 0;
    for (let i = 0; i < 200 * 120; i++) {
      const same = [0, 1, 2].every((c) => out.data[i * 4 + c] === original.data[i * 3 + c]);
      if (mask.data[i] < 128 && !same) throw new Error(`pixel ${i % 200}, ${Math.floor(i / 200)} outside the mask changed`);
      if (mask.data[i] >= 128 && !same) changedInside++;
    }
    expect(changedInside).toBeGreaterThan(0);
  });

  it('only-masked with an empty mask is refused before anything is uploaded', async () => {
    const { double, backend } = await setup();
    const original = { width: 64, height: 64, channels: 3 as const, data: blockImage(64, 64, 1) };
    const mask = { width: 64, height: 64, channels: 1 as const, data: new Uint8Array(64 * 64) };
    await expect(backend.generate(job({ source: { kind: 'inpaint', initImage: await pngOf(original.data, 64, 64), strength: 1, mask: await pngOf(mask.data, 64, 64, 1), maskBlur: 2, onlyMasked: { padding: 12 } } }))).rejects.toThrow(/mask is empty/);
    expect(double.uploads.size).toBe(0);
  });

  it('ControlNet units: ControlNetLoader + ControlNetApplyAdvanced with strength, start and end; an unlisted ControlNet is refused with the list, before uploading', async () => {
    const { double, backend } = await setup();
    const hint = { width: 32, height: 32, channels: 3 as const, data: blockImage(32, 32, 9) };
    await backend.generate(job({ source: { kind: 'txt2img' }, controls: [{ type: 'depth', image: hint, scale: 0.6, start: 0.1, end: 0.8, controlNetDir: 'control_v11f1p_sd15_depth.pth' }] }));
    const nodes = Object.values(double.prompts[0].prompt);
    expect(nodes.find((n) => n.class_type === 'ControlNetLoader')?.inputs?.control_net_name).toBe('control_v11f1p_sd15_depth.pth');
    expect(nodes.find((n) => n.class_type === 'ControlNetApplyAdvanced')?.inputs).toMatchObject({ strength: 0.6, start_percent: 0.1, end_percent: 0.8 });
    // The control image goes up at the output size.
    expect(await sizesUploaded(double)).toEqual(['64x64']);

    const uploads = double.uploads.size;
    const refused = backend.generate(job({ source: { kind: 'txt2img' }, controls: [{ type: 'depth', image: hint, scale: 1, start: 0, end: 1, controlNetDir: '/home/me/controlnets/depth' }] }));
    await expect(refused).rejects.toBeInstanceOf(PipelineError);
    await expect(refused).rejects.toThrow(/has no ControlNet "\/home\/me\/controlnets\/depth"; it lists: control_v11p_sd15_openpose\.pth/);
    expect(double.uploads.size).toBe(uploads);
    expect(double.prompts).toHaveLength(1);
  });

  it('refuses what no server job carries from the job alone, before decoding any image', async () => {
    const { double, backend } = await setup();
    // Bytes that are no image: a decode would fail first if the checks came after it.
    const junk = new Uint8Array([1, 2, 3]);
    await expect(backend.generate(job({ source: { kind: 'txt2img' }, controls: [{ type: 'depth', image: junk, scale: 1, start: 0, end: 1 }] }))).rejects.toThrow(/--controlnet depth=<ControlNet as the server lists it>/);
    await expect(backend.generate(job({ source: { kind: 'txt2img' }, controls: [{ type: 'depth', image: junk, scale: 1, start: 0, end: 1, controlNetDir: 'nope.pth' }] }))).rejects.toThrow(/has no ControlNet "nope\.pth"/);
    await expect(backend.generate(job({ source: { kind: 'outpaint', initImage: junk, strength: 1, extend: { left: 8, right: 0, top: 0, bottom: 0 }, fill: 'noise', maskBlur: 4 } }))).rejects.toThrow(/--outpaint-fill noise runs only locally/);
    await expect(backend.generate(job({ source: { kind: 'img2img', initImage: junk, strength: 0.5 }, loras: [{ name: 'nope', weight: 1 }] }))).rejects.toThrow(/has no LoRA "nope"/);
    expect(double.uploads.size).toBe(0);
  });

  it('lists the server\'s ControlNets with the type each name implies', async () => {
    const { backend } = await setup();
    expect(await backend.listControlNets()).toEqual([
      { dir: 'control_v11p_sd15_openpose.pth', type: 'openpose' },
      { dir: 'control_v11f1p_sd15_depth.pth', type: 'depth' },
      { dir: 'SDXL/controlnet-canny-sdxl-1.0.safetensors', type: 'canny' },
    ]);
  });

  it('a LoRA chain: one LoraLoader per LoRA, model and CLIP linked through them in order', async () => {
    const { double, backend } = await setup();
    await backend.generate(job({ source: { kind: 'txt2img' }, loras: [{ name: 'pixel-art-xl.safetensors', weight: 0.5 }, { name: 'style/watercolor_v2.safetensors', weight: 1.2 }] }));
    const graph = double.prompts[0].prompt;
    const loras = Object.entries(graph).filter(([, n]) => n.class_type === 'LoraLoader');
    expect(loras.map(([, n]) => [n.inputs?.lora_name, n.inputs?.strength_model, n.inputs?.strength_clip])).toEqual([['pixel-art-xl.safetensors', 0.5, 0.5], ['style/watercolor_v2.safetensors', 1.2, 1.2]]);
    expect(loras[1][1].inputs?.model).toEqual([loras[0][0], 0]);
    expect(loras[1][1].inputs?.clip).toEqual([loras[0][0], 1]);
    const sampler = Object.values(graph).find((n) => n.class_type === 'KSampler');
    expect(sampler?.inputs?.model).toEqual([loras[1][0], 0]);
    await expect(backend.generate(job({ source: { kind: 'txt2img' }, loras: [{ name: 'missing.safetensors', weight: 1 }] }))).rejects.toThrow(/has no LoRA "missing\.safetensors"; it lists: pixel-art-xl/);
  });
});
