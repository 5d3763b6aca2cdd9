/**
 * The CLI on files users (or accidents) bring: device files, FIFOs, huge files, folders where files belong.
 * Every case must end at once with one message naming the file and why (a regression hangs; runCli's
 * timeout turns that into a failure).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseParameters } from '../../src/host/output/parameters';
import { readTextChunks } from '../../src/host/output/pngText';
import { writeControlNetFolder } from '../fixtures/onnx/modelFolder';
import { runCli } from '../helpers/cli';
import { oracleModel } from '../helpers/fixtures';
import { pngOf, blockImage } from '../helpers/images';

const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-cli-files-'));
const small = ['--width', '64', '--height', '64', '--steps', '2'];
const TIMEOUT = 60_000;
const NOT_REGULAR = 'not a regular file (Atelier reads only regular files)';

function fifoAt(file: string): void {
  rmSync(file, { recursive: true, force: true });
  execFileSync('mkfifo', [file]);
}

/** A copy of the oracle model with one file replaced by `replace`. */
function modelWith(relative: string, replace: (file: string) => void): string {
  const dir = path.join(temp(), 'model');
  cpSync(oracleModel(), dir, { recursive: true });
  replace(path.join(dir, relative));
  return dir;
}

describe('unbounded and blocking inputs are refused before any work', () => {
  it('device files as --init-image, --prompt-file, --control and the image to upscale or detect', async () => {
    const out = temp();
    const cases: Array<[string[], string]> = [
      [['generate', 'x', '--init-image', '/dev/zero', '--out', path.join(out, 'a.png')], 'cannot read --init-image /dev/zero: it is a character device'],
      [['generate', '--prompt-file', '/dev/zero', '--out', path.join(out, 'a.png')], 'cannot read prompt file /dev/zero: it is a character device'],
      [['generate', 'x', '--control', 'depth=/dev/urandom', '--out', path.join(out, 'a.png')], 'cannot read --control /dev/urandom: it is a character device'],
      [['upscale', '/dev/zero', '--out', path.join(out, 'a.png')], 'cannot read the image /dev/zero: it is a character device'],
      [['detect', 'pose', '/dev/zero', '--out', path.join(out, 'a.json')], 'cannot read the image /dev/zero: it is a character device'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, {}, TIMEOUT);
      expect(r.stderr, args.join(' ')).toContain(message);
      expect(r.stderr).toContain(NOT_REGULAR);
      expect(r.code, args.join(' ')).toBe(2);
    }
    expect(readdirSync(out)).toEqual([]);
  });

  it('a FIFO as prompt file or image, and a folder as image, are refused (never waited on)', async () => {
    const dir = temp();
    fifoAt(path.join(dir, 'prompt.txt'));
    fifoAt(path.join(dir, 'photo.png'));
    mkdirSync(path.join(dir, 'folder.png'));
    const prompt = await runCli(['generate', '--prompt-file', path.join(dir, 'prompt.txt'), '--out', path.join(dir, 'o.png')], {}, TIMEOUT);
    expect([prompt.code, prompt.stderr]).toEqual([2, expect.stringContaining(`prompt file ${path.join(dir, 'prompt.txt')}: it is a named pipe (FIFO)`)]);
    const init = await runCli(['generate', 'x', '--init-image', path.join(dir, 'photo.png'), '--out', path.join(dir, 'o.png')], {}, TIMEOUT);
    expect([init.code, init.stderr]).toEqual([2, expect.stringContaining('it is a named pipe (FIFO)')]);
    const folder = await runCli(['upscale', path.join(dir, 'folder.png')], {}, TIMEOUT);
    expect([folder.code, folder.stderr]).toEqual([2, expect.stringContaining(`the image ${path.join(dir, 'folder.png')}: it is a folder`)]);
  });

  it('a 200 MB prompt file is refused from its size, without reading it', async () => {
    const file = path.join(temp(), 'huge.txt');
    writeFileSync(file, '');
    truncateSync(file, 200 * 1024 * 1024);
    const r = await runCli(['generate', '--prompt-file', file], {}, TIMEOUT);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot read prompt file ${file}: it is 209715200 bytes; a prompt file may be at most 40003 bytes (a prompt is at most 10000 characters)`);
  });
});

describe('model files that are not regular files get one clear message, not a hang or an internal error', () => {
  it.each([
    ['unet/model.onnx', 'ONNX model'],
    ['model_index.json', 'model config file'],
    ['tokenizer/vocab.json', 'tokenizer file'],
    ['scheduler/scheduler_config.json', 'model config file'],
  ])('a FIFO as %s', async (relative, noun) => {
    const model = modelWith(relative, fifoAt);
    const out = temp();
    const r = await runCli(['generate', 'x', '--model', model, ...small, '--out', path.join(out, 'o.png')], {}, TIMEOUT);
    expect(r.stderr).toContain(`${noun} ${path.join(model, relative)}: it is a named pipe (FIFO), ${NOT_REGULAR}`);
    expect(r.stderr).not.toMatch(/internal error/i);
    expect(r.code).toBe(1);
    expect(readdirSync(out)).toEqual([]);
  });

  it('unet/model.onnx as a folder (EISDIR) is named as a folder', async () => {
    const model = modelWith('unet/model.onnx', (file) => {
      rmSync(file);
      mkdirSync(file);
    });
    const r = await runCli(['generate', 'x', '--model', model, ...small, '--out', path.join(temp(), 'o.png')], {}, TIMEOUT);
    expect(r.stderr).toContain(`ONNX model ${path.join(model, 'unet', 'model.onnx')}: it is a folder, ${NOT_REGULAR}`);
    expect(r.stderr).not.toMatch(/internal error|EISDIR/i);
    expect(r.code).toBe(1);
  });

  it('an unknown scheduler class runs as Euler with a warning naming the file and key; a chosen sampler needs none', async () => {
    const model = modelWith('scheduler/scheduler_config.json', (file) => writeFileSync(file, JSON.stringify({ _class_name: 'UniPCMultistepScheduler' })));
    const out = temp();
    const r = await runCli(['generate', 'x', '--model', model, ...small, '--out', path.join(out, 'a.png')], {}, TIMEOUT);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: ${path.join(model, 'scheduler', 'scheduler_config.json')}: _class_name "UniPCMultistepScheduler" is not a scheduler Atelier implements, so Euler is used`);
    const chosen = await runCli(['generate', 'x', '--model', model, ...small, '--sampler', 'ddim', '--out', path.join(out, 'b.png')], {}, TIMEOUT);
    expect(chosen.code).toBe(0);
    expect(chosen.stderr).not.toContain('warning');
  });

  it('a FIFO as a ControlNet model.onnx', async () => {
    const dir = temp();
    const controlNet = writeControlNetFolder(path.join(dir, 'Depth'), { family: 'oracle' });
    fifoAt(path.join(controlNet, 'model.onnx'));
    writeFileSync(path.join(dir, 'depth.png'), await pngOf(blockImage(64, 64, 3), 64, 64));
    const r = await runCli(['generate', 'x', '--model', oracleModel({ control: 'separate' }), ...small, '--control', `depth=${path.join(dir, 'depth.png')}`, '--controlnet', `depth=${controlNet}`, '--out', path.join(dir, 'o.png')], {}, TIMEOUT);
    expect(r.stderr).toContain(`ONNX model ${path.join(controlNet, 'model.onnx')}: it is a named pipe (FIFO)`);
    expect(r.code).toBe(1);
  });
});

describe('control characters in prompts', () => {
  it('a NUL in a prompt file is refused with its position; a control character in the argument too; nothing is written', async () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'p.txt'), 'a red fox\u0000 in snow\n');
    const file = await runCli(['generate', '--prompt-file', path.join(dir, 'p.txt'), '--model', oracleModel(), ...small, '--out', path.join(dir, 'o.png')], {}, TIMEOUT);
    expect(file.code).toBe(2);
    expect(file.stderr).toContain(`prompt file ${path.join(dir, 'p.txt')} contains the control character U+0000 at character 10`);
    const arg = await runCli(['generate', 'a\u0007bell', '--model', oracleModel(), ...small, '--out', path.join(dir, 'o.png')], {}, TIMEOUT);
    expect(arg.code).toBe(1);
    expect(arg.stderr).toContain('prompt contains the control character U+0007 at character 2');
    expect(readdirSync(dir)).toEqual(['p.txt']);
  });

  it('Windows line ends in a prompt file are read as line breaks, and the metadata keeps every field', async () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'p.txt'), 'line one\r\nline two\r\n');
    const r = await runCli(['generate', '--prompt-file', path.join(dir, 'p.txt'), '--model', oracleModel(), ...small, '--seed', '7', '--out', path.join(dir, 'o.png')], {}, TIMEOUT);
    expect(r.code).toBe(0);
    const params = parseParameters(readTextChunks(readFileSync(path.join(dir, 'o.png'))).get('parameters') ?? '');
    expect(params).toMatchObject({ prompt: 'line one\nline two', seed: 7, steps: 2 });
  });
});
