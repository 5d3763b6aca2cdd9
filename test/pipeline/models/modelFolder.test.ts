/** Bad model folders get a clear, typed error before any session is created. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, cpSync, truncateSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectModelFolder } from '../../../src/pipeline/models/modelFolder';
import { openSession } from '../../../src/pipeline/backends/onnx';
import { Graph } from '../../../src/build/onnxGraph';
import { oracleModel, quietLog } from '../../helpers/fixtures';

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'atelier-bad-'));
}

/** A copy of the oracle folder whose text encoder is replaced by `add W` with W stored at `location`. */
function folderWithExternal(location: string, writeData: (dir: string) => void = () => undefined): string {
  const dir = path.join(tempDir(), 'model');
  cpSync(oracleModel(), dir, { recursive: true });
  const g = new Graph();
  g.input('X', 'float32', [4]);
  g.op('Add', ['X', g.weight([1, 2, 3, 4], [4], 'W')], {}, 'Y');
  g.output('Y', 'float32', [4]);
  const encoded = g.encode(17, { location, minBytes: 1 });
  writeFileSync(path.join(dir, 'text_encoder', 'model.onnx'), encoded.model);
  if (encoded.external) writeData(path.join(dir, 'text_encoder'));
  return dir;
}

describe('model folder validation', () => {
  it('accepts the oracle folder and reads its configs', () => {
    const folder = inspectModelFolder(oracleModel());
    expect(folder.vaeScalingFactor).toBeCloseTo(0.18215, 6);
    expect(folder.schedulerConfig.className).toBe('PNDMScheduler');
  });

  it('a folder that does not exist', () => {
    expect(() => inspectModelFolder('/nonexistent/atelier-model')).toThrow(expect.objectContaining({ code: 'MODEL_MISSING_FILE', message: expect.stringContaining('does not exist') }));
  });

  it('an empty folder says what a model folder needs', () => {
    expect(() => inspectModelFolder(tempDir())).toThrow(expect.objectContaining({ code: 'MODEL_MISSING_FILE', message: expect.stringMatching(/empty.*model_index\.json/) }));
  });

  it('a path that is a file, not a folder', () => {
    const file = path.join(tempDir(), 'model.onnx');
    writeFileSync(file, 'x');
    expect(() => inspectModelFolder(file)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', argument: 'modelDir', message: expect.stringContaining('is a file') }));
  });

  it('a folder with only a .ckpt is refused as a pickle, by content', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'v1-5-pruned.ckpt'), Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00]));
    expect(() => inspectModelFolder(dir)).toThrow(expect.objectContaining({ code: 'MODEL_UNSAFE', message: expect.stringMatching(/v1-5-pruned\.ckpt.*pickle.*arbitrary code/) }));
  });

  it('a torch zip checkpoint renamed to model.onnx is refused', () => {
    const dir = path.join(tempDir(), 'model');
    cpSync(oracleModel(), dir, { recursive: true });
    writeFileSync(path.join(dir, 'unet', 'model.onnx'), Buffer.from('PK\x03\x04archive/data.pkl', 'binary'));
    expect(() => inspectModelFolder(dir)).toThrow(expect.objectContaining({ code: 'MODEL_UNSAFE', argument: path.join(dir, 'unet', 'model.onnx') }));
  });

  it('a stray checkpoint next to a valid ONNX export is ignored and noted', () => {
    const dir = path.join(tempDir(), 'model');
    cpSync(oracleModel(), dir, { recursive: true });
    writeFileSync(path.join(dir, 'extra.pt'), Buffer.from([0x80, 0x04, 0x95]));
    expect(inspectModelFolder(dir).notes).toEqual(['ignoring extra.pt: a pickle checkpoint, never loaded']);
  });

  it('names every missing required file', () => {
    const dir = path.join(tempDir(), 'model');
    cpSync(oracleModel(), dir, { recursive: true });
    rmSync(path.join(dir, 'unet'), { recursive: true });
    rmSync(path.join(dir, 'tokenizer', 'merges.txt'));
    expect(() => inspectModelFolder(dir)).toThrow(expect.objectContaining({ code: 'MODEL_MISSING_FILE', message: expect.stringMatching(/unet\/model\.onnx, tokenizer\/merges\.txt/) }));
  });

  it.each([
    ['StableDiffusionXLPipeline', 'SDXL'],
    ['StableDiffusion3Pipeline', 'Stable Diffusion 3'],
    ['FluxPipeline', 'Flux'],
  ])('refuses %s naming the family', (pipelineClass, family) => {
    const dir = path.join(tempDir(), 'model');
    cpSync(oracleModel(), dir, { recursive: true });
    writeFileSync(path.join(dir, 'model_index.json'), JSON.stringify({ _class_name: pipelineClass }));
    expect(() => inspectModelFolder(dir)).toThrow(expect.objectContaining({ code: 'MODEL_UNSUPPORTED', message: expect.stringContaining(`is a ${family} model`) }));
  });

  it('beta_end below beta_start is refused, naming the file and both keys', () => {
    const dir = path.join(tempDir(), 'model');
    cpSync(oracleModel(), dir, { recursive: true });
    const file = path.join(dir, 'scheduler', 'scheduler_config.json');
    writeFileSync(file, JSON.stringify({ _class_name: 'PNDMScheduler', beta_start: 0.012, beta_end: 0.00085 }));
    expect(() => inspectModelFolder(dir)).toThrow(
      expect.objectContaining({ code: 'MODEL_INVALID', argument: file, message: `${file}: beta_end (0.00085) must be greater than beta_start (0.012); the noise schedule would run backwards` }),
    );
  });

  it('malformed scheduler config is MODEL_INVALID naming the key', () => {
    const dir = path.join(tempDir(), 'model');
    cpSync(oracleModel(), dir, { recursive: true });
    writeFileSync(path.join(dir, 'scheduler', 'scheduler_config.json'), JSON.stringify({ prediction_type: 'noise' }));
    expect(() => inspectModelFolder(dir)).toThrow(expect.objectContaining({ code: 'MODEL_INVALID', message: expect.stringContaining('prediction_type must be one of') }));
  });
});

describe('external data containment', () => {
  it('a contained weight file passes and really loads', async () => {
    const dir = folderWithExternal('weights.bin', (d) => writeFileSync(path.join(d, 'weights.bin'), Buffer.from(new Float32Array([1, 2, 3, 4]).buffer)));
    expect(() => inspectModelFolder(dir)).not.toThrow();
    const session = await openSession(path.join(dir, 'text_encoder', 'model.onnx'), { preference: 'cpu', stats: { runs: 0, runMs: 0 }, log: quietLog });
    const out = await session.run({ X: { type: 'float32', data: new Float32Array(4), dims: [4] } });
    expect(Array.from(out.Y.data as Float32Array)).toEqual([1, 2, 3, 4]);
    await session.release();
  });

  it.each([
    ['../../../../../../etc/hostname', /contains "\.\."/],
    ['sub/../../../../../../etc/hostname', /contains "\.\."/],
    ['/etc/hostname', /absolute path/],
    ['C:\\Windows\\win.ini', /absolute path/],
  ])('refuses location %s', (location, reason) => {
    const dir = folderWithExternal(location);
    expect(() => inspectModelFolder(dir)).toThrow(expect.objectContaining({ code: 'MODEL_UNSAFE', message: expect.stringMatching(reason) }));
  });

  it('refuses a symlink that escapes the model folder', () => {
    const dir = folderWithExternal('weights.bin', (d) => symlinkSync('/etc/hostname', path.join(d, 'weights.bin')));
    expect(() => inspectModelFolder(dir)).toThrow(expect.objectContaining({ code: 'MODEL_UNSAFE', message: expect.stringContaining('outside the model folder') }));
  });

  it('a missing weight file is named', () => {
    const dir = folderWithExternal('weights.bin');
    expect(() => inspectModelFolder(dir)).toThrow(expect.objectContaining({ code: 'MODEL_MISSING_FILE', message: expect.stringContaining('weights.bin') }));
  });

  it('a FIFO as the weight file is named as such (not a provider failure, never opened)', () => {
    const dir = folderWithExternal('weights.bin', (d) => execFileSync('mkfifo', [path.join(d, 'weights.bin')]));
    expect(() => inspectModelFolder(dir)).toThrow(
      expect.objectContaining({ code: 'MODEL_INVALID', message: expect.stringContaining(`cannot read ${path.join(dir, 'text_encoder', 'model.onnx')}'s external weight file ${path.join(dir, 'text_encoder', 'weights.bin')}: it is a named pipe (FIFO)`) }),
    );
  });

  it('a truncated weight file is MODEL_INVALID', () => {
    const dir = folderWithExternal('weights.bin', (d) => writeFileSync(path.join(d, 'weights.bin'), Buffer.alloc(16)));
    truncateSync(path.join(dir, 'text_encoder', 'weights.bin'), 8);
    expect(statSync(path.join(dir, 'text_encoder', 'weights.bin')).size).toBe(8);
    expect(() => inspectModelFolder(dir)).toThrow(expect.objectContaining({ code: 'MODEL_INVALID', message: expect.stringContaining('truncated') }));
  });

  it('second layer: onnxruntime itself refuses a traversal the pre-check would have caught', async () => {
    const dir = folderWithExternal('../../../../../../etc/hostname');
    mkdirSync(path.join(dir, 'text_encoder'), { recursive: true });
    await expect(openSession(path.join(dir, 'text_encoder', 'model.onnx'), { preference: 'cpu', stats: { runs: 0, runMs: 0 }, log: quietLog })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining('escapes model directory'),
    });
  });
});
