import sharp from 'sharp';
/** The `atelier` CLI as a user runs it: real process, real worker, real files. */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseParameters } from '../../src/host/output/parameters';
import { readTextChunks } from '../../src/host/output/pngText';
import { oracleModel, tinyModel } from '../helpers/fixtures';
import { blockImage } from '../helpers/images';
import { emptyScene, figureImage, STANDING } from '../helpers/figure';
import { fromOpenPoseJson } from '../../src/shared/canvas/openpose';
import { writeControlNetFolder } from '../fixtures/onnx/modelFolder';
import { parseControl } from '../../src/cli/args';
import { packageRoot } from '../../src/build/builtinPackages';
import { runCli, type CliOutcome } from '../helpers/cli';
import { CLI_PATH } from '../helpers/worker';

const cli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliOutcome> => runCli(args, env);

const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-cli-'));
const small = ['--width', '64', '--height', '64', '--steps', '4'];

describe('atelier generate', () => {
  it('writes a PNG whose parameters parse back', async () => {
    const out = path.join(temp(), 'fox.png');
    const r = await cli(['generate', 'a red fox, watercolor', '--model', oracleModel(), '--out', out, '--seed', '42', '--negative', 'blurry', '--guidance', '3', ...small]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    const params = parseParameters(readTextChunks(readFileSync(out)).get('parameters') ?? '');
    expect(params).toMatchObject({ prompt: 'a red fox, watercolor', negativePrompt: 'blurry', seed: 42, steps: 4, guidanceScale: 3, width: 64, height: 64, sampler: 'pndm', model: 'model' });
  });

  it('the same seed gives the same image bytes; --no-metadata writes none', async () => {
    const dir = temp();
    const a = await cli(['generate', 'cat', '--model', oracleModel(), '--out', path.join(dir, 'a.png'), '--seed', '5', '--no-metadata', ...small]);
    const b = await cli(['generate', 'cat', '--model', oracleModel(), '--out', path.join(dir, 'b.png'), '--seed', '5', '--no-metadata', ...small]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const [fa, fb] = [readFileSync(path.join(dir, 'a.png')), readFileSync(path.join(dir, 'b.png'))];
    expect(fa.equals(fb)).toBe(true);
    expect(readTextChunks(fa).size).toBe(0);
  });

  it('an existing --out file is never overwritten: a new name is printed', async () => {
    const dir = temp();
    const out = path.join(dir, 'logo.png');
    writeFileSync(out, 'precious');
    const before = createHash('sha256').update(readFileSync(out)).digest('hex');
    const r = await cli(['generate', 'logo', '--model', oracleModel(), '--out', out, ...small]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(path.join(dir, 'logo-1.png'));
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(before);
  });

  it('without --model it uses the built-in demo model and says so on stderr', async () => {
    const out = path.join(temp(), 'demo.png');
    const r = await cli(['generate', 'a lighthouse', '--out', out, ...small]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('built-in DEMO model');
    expect(readTextChunks(readFileSync(out)).get('parameters')).toContain('Model: "atelier-demo (built-in demo, not a trained model)"');
  });

  it.each([
    [['--width', '500'], 1, 'width must be a multiple of 8, got 500 (try 496 or 504)'],
    [['--steps', '0'], 1, 'steps must be a whole number from 1 to 1000, got 0'],
    [['--steps', '10001'], 1, 'steps must be a whole number from 1 to 1000, got 10001'],
    [['--guidance', 'NaN'], 2, '--guidance must be a number, got "NaN"'],
    [['--seed', '4294967296'], 1, 'seed must be a whole number from 0 to 4294967295, got 4294967296'],
    [['--seed=-2'], 1, 'seed must be a whole number from 0 to 4294967295, got -2'],
    [['--steps', '1000'], 1, 'steps must be lower: 1000 steps put a timestep at 1000'],
    [['--sampler', 'heun'], 2, '--sampler must be one of'],
    [['--frobnicate'], 2, "Unknown option '--frobnicate'"],
  ])('bad input %j exits %i with a clear message', async (extra, code, message) => {
    const dir = temp();
    const r = await cli(['generate', 'cat', '--model', oracleModel(), '--out', path.join(dir, 'x.png'), ...small, ...extra]);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a 10,000-character prompt works (34 chunks of 75 tokens, nothing dropped); 10,001 is refused', async () => {
    const prompt = 'cat '.repeat(2500);
    const ok = await cli(['generate', prompt, '--model', oracleModel(), '--out', path.join(temp(), 'x.png'), ...small]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).not.toMatch(/dropped/);
    const tooLong = await cli(['generate', `${prompt}x`, '--model', oracleModel(), '--out', path.join(temp(), 'x.png'), ...small]);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('prompt must be at most 10000 characters, got 10001');
  });

  it('non-UTF-8 bytes in a prompt file are refused with the offset', async () => {
    const file = path.join(temp(), 'prompt.txt');
    writeFileSync(file, Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' au lait')]));
    const r = await cli(['generate', '--prompt-file', file, '--model', oracleModel(), ...small]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not valid UTF-8: byte 0xe9 at offset 3');
  });

  it('a UTF-8 prompt file is used as the prompt', async () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'p.txt'), 'un café 🐱\n');
    const r = await cli(['generate', '--prompt-file', path.join(dir, 'p.txt'), '--model', oracleModel(), '--out', path.join(dir, 'o.png'), ...small]);
    expect(r.code).toBe(0);
    expect(parseParameters(readTextChunks(readFileSync(path.join(dir, 'o.png'))).get('parameters') ?? '').prompt).toBe('un café 🐱');
  });

  it.each([
    ['an empty model folder', (): string => temp(), 'is empty'],
    ['a folder with only a .ckpt', (): string => {
      const d = temp();
      writeFileSync(path.join(d, 'model.ckpt'), Buffer.from([0x80, 0x02, 0x7d]));
      return d;
    }, 'pickle checkpoint'],
    ['external data pointing outside the folder', (): string => {
      const d = path.join(temp(), 'm');
      cpSync(oracleModel({ variant: { externalData: 'weights.pb' } }), d, { recursive: true });
      const onnx = path.join(d, 'unet', 'model.onnx');
      writeFileSync(onnx, readFileSync(onnx).toString('latin1').replaceAll('weights.pb', '../../x.pb'), 'latin1');
      return d;
    }, 'contains ".."'],
  ])('%s is refused with a clear message', async (_name, makeDir, message) => {
    const r = await cli(['generate', 'cat', '--model', makeDir(), '--out', path.join(temp(), 'x.png'), ...small]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
  });

  it('a read-only output folder is a clear error', async () => {
    const dir = process.getuid?.() === 0 ? '/sys/atelier-cli-test' : temp();
    const r = await cli(['generate', 'cat', '--model', oracleModel(), '--out', path.join(dir, 'x.png'), ...small]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not writable');
  });

  it('killing the worker mid-run fails the job clearly and leaves no file behind', async () => {
    const dir = temp();
    const child = spawn(process.execPath, [CLI_PATH, 'generate', 'cat', '--model', tinyModel(), '--out', path.join(dir, 'x.png'), '--width', '64', '--height', '64', '--steps', '900'], {
      env: { ...process.env, ATELIER_MODEL: '' },
    });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!killed && stderr.includes('denoising')) {
        killed = true;
        // The worker is the CLI's only child process.
        execFile('pkill', ['-KILL', '-P', String(child.pid)]);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('killed (SIGKILL)');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('atelier generate --init-image (img2img)', () => {
  it('writes a new image of the init image\'s size with the strength in its metadata; the original is untouched', async () => {
    const dir = temp();
    const init = path.join(dir, 'base.png');
    expect((await cli(['generate', 'a blue lake', '--model', oracleModel(), '--out', init, '--width', '128', '--height', '64', '--steps', '4'])).code).toBe(0);
    const before = createHash('sha256').update(readFileSync(init)).digest('hex');
    const r = await cli(['generate', 'a lighthouse', '--model', oracleModel(), '--init-image', init, '--strength', '0.5', '--steps', '10', '--out', path.join(dir, 'varied.png')]);
    expect(r.code).toBe(0);
    const params = parseParameters(readTextChunks(readFileSync(path.join(dir, 'varied.png'))).get('parameters') ?? '');
    expect(params).toMatchObject({ denoisingStrength: 0.5, width: 128, height: 64, prompt: 'a lighthouse' });
    expect(params.fields.get('Init image')).toBe('base.png');
    expect(createHash('sha256').update(readFileSync(init)).digest('hex')).toBe(before);
  });

  it('--mask inpaints: unmasked pixels are byte-identical to the init image; the metadata names the mask', async () => {
    const dir = temp();
    const init = path.join(dir, 'base.png');
    expect((await cli(['generate', 'a blue lake', '--model', oracleModel(), '--out', init, '--width', '64', '--height', '64', '--steps', '4'])).code).toBe(0);
    const mask = Buffer.alloc(64 * 64);
    for (let y = 0; y < 64; y++) mask.fill(255, y * 64, y * 64 + 16);
    await sharp(mask, { raw: { width: 64, height: 64, channels: 1 } }).png().toFile(path.join(dir, 'base.mask.png'));
    const r = await cli(['generate', 'a lighthouse', '--model', oracleModel(), '--init-image', init, '--mask', path.join(dir, 'base.mask.png'), '--mask-blur', '2', '--steps', '8', '--out', path.join(dir, 'inpainted.png')]);
    expect(r.code).toBe(0);
    const [a, b] = await Promise.all([init, path.join(dir, 'inpainted.png')].map((f) => sharp(f).raw().toBuffer()));
    for (let y = 0; y < 64; y++) for (let x = 32; x < 64; x++) for (let c = 0; c < 3; c++) expect(b[(y * 64 + x) * 3 + c]).toBe(a[(y * 64 + x) * 3 + c]);
    const params = parseParameters(readTextChunks(readFileSync(path.join(dir, 'inpainted.png'))).get('parameters') ?? '');
    expect([params.fields.get('Mask'), params.fields.get('Mask blur'), params.denoisingStrength]).toEqual(['base.mask.png', '2', 1]);
    const noInit = await cli(['generate', 'x', '--model', oracleModel(), '--mask', path.join(dir, 'base.mask.png')]);
    expect(noInit.code).toBe(2);
    expect(noInit.stderr).toContain('--mask needs --init-image');
  });

  it('--outpaint grows the canvas and keeps the original bytes at their offset', async () => {
    const dir = temp();
    const init = path.join(dir, 'base.png');
    expect((await cli(['generate', 'a blue lake', '--model', oracleModel(), '--out', init, '--width', '64', '--height', '64', '--steps', '4'])).code).toBe(0);
    const r = await cli(['generate', 'a lighthouse', '--model', oracleModel(), '--init-image', init, '--outpaint', '8,0,16,0', '--steps', '6', '--out', path.join(dir, 'wide.png')]);
    expect(r.code).toBe(0);
    const [a, b] = await Promise.all([init, path.join(dir, 'wide.png')].map((f) => sharp(f).raw().toBuffer({ resolveWithObject: true })));
    expect([b.info.width, b.info.height]).toEqual([72, 80]);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) for (let c = 0; c < 3; c++) expect(b.data[((y + 16) * 72 + x + 8) * 3 + c]).toBe(a.data[(y * 64 + x) * 3 + c]);
    const bad = await cli(['generate', 'x', '--model', oracleModel(), '--init-image', init, '--outpaint', '8,0', '--out', path.join(dir, 'o.png')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--outpaint takes four whole numbers left,right,top,bottom');
  });

  it('a strength outside 0–1 and an unreadable init image are clear errors', async () => {
    const dir = temp();
    const bad = await cli(['generate', 'x', '--model', oracleModel(), '--init-image', path.join(dir, 'missing.png'), '--out', path.join(dir, 'o.png')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('cannot read --init-image');
    writeFileSync(path.join(dir, 'fake.png'), 'not an image');
    const fake = await cli(['generate', 'x', '--model', oracleModel(), '--init-image', path.join(dir, 'fake.png'), '--out', path.join(dir, 'o.png')]);
    expect(fake.code).toBe(1);
    expect(fake.stderr).toContain('--init-image: fake.png is not a readable image');
    const init = path.join(dir, 'base.png');
    await cli(['generate', 'x', '--model', oracleModel(), '--out', init, ...small]);
    const strong = await cli(['generate', 'x', '--model', oracleModel(), '--init-image', init, '--strength', '2', '--out', path.join(dir, 'o.png')]);
    expect(strong.code).toBe(1);
    expect(strong.stderr).toContain('strength must be a number from 0 (keep the image) to 1 (ignore it), got 2');
    expect(readdirSync(dir).sort()).toEqual(['base.png', 'fake.png']);
  });
});

describe('atelier generate --control', () => {
  it('runs ControlNets found by type, records them in the metadata, and names a missing one', async () => {
    const dir = temp();
    const roots = path.join(dir, 'controlnets');
    writeControlNetFolder(path.join(roots, 'Depth'), { family: 'oracle' });
    writeControlNetFolder(path.join(roots, 'Canny'), { family: 'oracle' });
    await sharp(Buffer.from(blockImage(64, 64, 3)), { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(path.join(dir, 'depth.png'));
    await sharp(Buffer.from(blockImage(64, 64, 4)), { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(path.join(dir, 'edges.png'));
    const model = oracleModel({ control: 'separate' });
    const out = path.join(dir, 'steered.png');
    const r = await cli(['generate', 'a lighthouse', '--model', model, ...small, '--control', `depth=${path.join(dir, 'depth.png')}:0.8`, '--control', `canny=${path.join(dir, 'edges.png')}:0.5:0:0.5`, '--controlnets', roots, '--out', out]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const params = parseParameters(readTextChunks(readFileSync(out)).get('parameters') ?? '');
    expect(params.fields.get('ControlNet 0')).toBe('Module: none, Model: Depth, Weight: 0.8, Guidance Start: 0, Guidance End: 1, Control type: depth, Image: depth.png');
    expect(params.fields.get('ControlNet 1')).toBe('Module: none, Model: Canny, Weight: 0.5, Guidance Start: 0, Guidance End: 0.5, Control type: canny, Image: edges.png');
    expect(params.fields.get('Mode')).toBe('txt2img');
    const missing = await cli(['generate', 'x', '--model', model, ...small, '--control', `openpose=${path.join(dir, 'depth.png')}`, '--controlnets', roots, '--out', path.join(dir, 'o.png')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no openpose ControlNet was found under');
    const badType = await cli(['generate', 'x', '--model', model, '--control', `pose=${path.join(dir, 'depth.png')}`]);
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain('the type must be one of openpose, depth');
  });

  it('--only-masked inpaints around the mask and records the padding', async () => {
    const dir = temp();
    const init = path.join(dir, 'base.png');
    expect((await cli(['generate', 'a blue lake', '--model', oracleModel(), '--out', init, '--width', '256', '--height', '128', '--steps', '2'])).code).toBe(0);
    const mask = Buffer.alloc(256 * 128);
    for (let y = 40; y < 60; y++) mask.fill(255, y * 256 + 100, y * 256 + 120);
    await sharp(mask, { raw: { width: 256, height: 128, channels: 1 } }).png().toFile(path.join(dir, 'base.mask.png'));
    const r = await cli(['generate', 'a lighthouse', '--model', oracleModel(), '--init-image', init, '--mask', path.join(dir, 'base.mask.png'), '--mask-blur', '0', '--only-masked', '--mask-padding', '8', '--steps', '3', '--out', path.join(dir, 'fixed.png')]);
    expect(r.code).toBe(0);
    const [a, b] = await Promise.all([init, path.join(dir, 'fixed.png')].map((f) => sharp(f).raw().toBuffer()));
    let changed = 0;
    for (let i = 0; i < mask.length; i++) for (let c = 0; c < 3; c++) if (mask[i] === 0) expect(b[i * 3 + c]).toBe(a[i * 3 + c]);
    else changed += Number(b[i * 3 + c] !== a[i * 3 + c]);
    expect(changed).toBeGreaterThan(100);
    const params = parseParameters(readTextChunks(readFileSync(path.join(dir, 'fixed.png'))).get('parameters') ?? '');
    expect([params.fields.get('Inpaint area'), params.fields.get('Masked area padding'), params.fields.get('Mode')]).toEqual(['Only masked', '8', 'inpaint']);
  });
});

describe('--control parsing', () => {
  it.each([
    ['depth=a.png', { type: 'depth', file: 'a.png', scale: 1, start: 0, end: 1 }],
    ['depth=a.png:0.7', { type: 'depth', file: 'a.png', scale: 0.7, start: 0, end: 1 }],
    ['canny=C:/x/e.png:0.5:0.1:0.9', { type: 'canny', file: 'C:/x/e.png', scale: 0.5, start: 0.1, end: 0.9 }],
    ['openpose=dir:with/colon.png', { type: 'openpose', file: 'dir:with/colon.png', scale: 1, start: 0, end: 1 }],
  ])('%s', (text, expected) => {
    expect(parseControl(text)).toEqual(expected);
  });

  it('rejects a missing type or file', () => {
    expect(() => parseControl('a.png')).toThrow('--control takes <type>=<file>[:scale[:start:end]]');
    expect(() => parseControl('depth=:0.5')).toThrow('names no image file');
  });
});

describe('atelier upscale', () => {
  it('writes <name>@2x.png beside the image, keeps alpha, records the upscaler, never overwrites', async () => {
    const dir = temp();
    const image = path.join(dir, 'flower.png');
    cpSync(path.join(packageRoot('@upscalerjs/esrgan-slim'), 'assets', 'fixture.png'), image);
    const r = await cli(['upscale', image]);
    expect(r.stderr).toContain('ESRGAN slim 2× → 256×256');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(path.join(dir, 'flower@2x.png'));
    const meta = await sharp(path.join(dir, 'flower@2x.png')).metadata();
    expect([meta.width, meta.height, meta.hasAlpha]).toEqual([256, 256, true]);
    expect(readTextChunks(readFileSync(path.join(dir, 'flower@2x.png'))).get('postprocessing')).toBe('Postprocess upscale by: 2, Postprocess upscaler: "ESRGAN slim 2× (@upscalerjs/esrgan-slim@1.0.0 (MIT))"');
    const again = await cli(['upscale', image, '--scale', '3', '--model', 'medium', '--out', path.join(dir, 'flower@2x.png')]);
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe(path.join(dir, 'flower@2x-1.png'));
    expect((await sharp(path.join(dir, 'flower@2x-1.png')).metadata()).width).toBe(384);
    const bad = await cli(['upscale', image, '--scale', '5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--scale must be one of 2, 3, 4, 8, got "5"');
    writeFileSync(path.join(dir, 'notes.png'), 'not an image');
    const unreadable = await cli(['upscale', path.join(dir, 'notes.png')]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain('notes.png is not a readable image');
    expect(readdirSync(dir).sort()).toEqual(['flower.png', 'flower@2x-1.png', 'flower@2x.png', 'notes.png']);
  });
});

describe('atelier detect', () => {
  it('pose writes <name>.pose.json with the person on the drawn joints; person writes <name>.mask.png; never overwrites; nobody: nothing written', async () => {
    const dir = temp();
    const image = path.join(dir, 'hero.png');
    writeFileSync(image, await figureImage([STANDING]));
    const pose = await cli(['detect', 'pose', image, '--provider', 'cpu']);
    expect(pose.code).toBe(0);
    expect(pose.stderr).toMatch(/1 person \(0 unsure joints hidden\), Google MoveNet MultiPose Lightning/);
    expect(pose.stdout.trim()).toBe(path.join(dir, 'hero.pose.json'));
    const doc = fromOpenPoseJson(readFileSync(path.join(dir, 'hero.pose.json'), 'utf8'), { width: 512, height: 512 });
    expect(doc.people).toHaveLength(1);
    const nose = doc.people[0].keypoints[0];
    expect(Math.hypot(nose.x - STANDING.nose[0], nose.y - STANDING.nose[1])).toBeLessThan(20);
    const again = await cli(['detect', 'pose', image]);
    expect(again.stdout.trim()).toBe(path.join(dir, 'hero-1.pose.json'));
    const mask = await cli(['detect', 'person', image]);
    expect(mask.code).toBe(0);
    expect(mask.stdout.trim()).toBe(path.join(dir, 'hero.mask.png'));
    const meta = await sharp(path.join(dir, 'hero.mask.png')).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([512, 512, 1]);
    writeFileSync(path.join(dir, 'room.png'), await emptyScene());
    const nobody = await cli(['detect', 'person', path.join(dir, 'room.png')]);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('no person found in room.png; nothing was written');
    const bad = await cli(['detect', 'face', image]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('detect takes pose or person first, got "face"');
    expect(readdirSync(dir).sort()).toEqual(['hero-1.pose.json', 'hero.mask.png', 'hero.png', 'hero.pose.json', 'room.png']);
  });
});

describe('atelier tokenize', () => {
  it('prints ids, weights, chunks and count as JSON', async () => {
    const r = await cli(['tokenize', '--tokenizer', 'assets/clip-tokenizer', 'a photo of a cat']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      ids: [49406, 320, 1125, 539, 320, 2368, 49407],
      weights: [1, 1, 1, 1, 1, 1, 1],
      chunks: [{ start: 1, length: 5 }],
      count: 5,
      max: 75,
    });
  });
  it('applies A1111 weighting: ids without the syntax, per-token weights, BREAK chunk boundaries', async () => {
    const r = await cli(['tokenize', '--tokenizer', 'assets/clip-tokenizer', 'a (photo:1.5) of [a] BREAK cat']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      ids: [49406, 320, 1125, 539, 320, 2368, 49407],
      weights: [1, 1, 1.5, 1, 1 / 1.1, 1, 1],
      chunks: [
        { start: 1, length: 4 },
        { start: 5, length: 1 },
      ],
      count: 76,
      max: 150,
    });
  });
});
