/** The one bounded reader: regular files only (symlinks followed and checked), a cap per kind, clear refusals. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRegularFileSync, FILE_KINDS, FileReadError, readBounded, readBoundedSync, readHead, readHeadSync, type FileKind } from '../../../src/shared/files/boundedRead';

const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-bounded-'));
const fifo = (dir: string, name = 'pipe'): string => {
  const file = path.join(dir, name);
  execFileSync('mkfifo', [file]);
  return file;
};
const small: FileKind = { noun: 'test file', maxBytes: 16 };

async function refusal(read: () => Promise<unknown> | unknown): Promise<FileReadError> {
  try {
    await read();
  } catch (error) {
    expect(error).toBeInstanceOf(FileReadError);
    return error as FileReadError;
  }
  throw new Error('the read was not refused');
}

describe('bounded reads', () => {
  it('reads a regular file, and one behind a symlink, whole', async () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'a.txt'), 'hello');
    symlinkSync('a.txt', path.join(dir, 'link.txt'));
    expect((await readBounded(path.join(dir, 'a.txt'), small)).toString()).toBe('hello');
    expect((await readBounded(path.join(dir, 'link.txt'), small)).toString()).toBe('hello');
    expect(readBoundedSync(path.join(dir, 'link.txt'), small).toString()).toBe('hello');
    expect(checkRegularFileSync(path.join(dir, 'link.txt'), small)).toBe(5);
    writeFileSync(path.join(dir, 'empty.txt'), '');
    expect((await readBounded(path.join(dir, 'empty.txt'), small)).length).toBe(0);
  });

  it('a file exactly at the cap is read; one byte more is refused before reading, naming the file, its size and the cap', async () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'ok'), Buffer.alloc(16, 1));
    writeFileSync(path.join(dir, 'big'), Buffer.alloc(17, 1));
    expect((await readBounded(path.join(dir, 'ok'), small)).length).toBe(16);
    const e = await refusal(() => readBounded(path.join(dir, 'big'), small));
    expect(e.reason).toBe('too-large');
    expect(e.code).toBe('FILE_UNREADABLE');
    expect(e.message).toBe(`cannot read test file ${path.join(dir, 'big')}: it is 17 bytes; a test file may be at most 16 bytes`);
    expect((await refusal(() => readBoundedSync(path.join(dir, 'big'), small))).reason).toBe('too-large');
  });

  it('a 200 MB (sparse) prompt file is refused from its size, with the prompt limit as the reason', async () => {
    const file = path.join(temp(), 'huge.txt');
    writeFileSync(file, '');
    truncateSync(file, 200 * 1024 * 1024);
    const e = await refusal(() => readBounded(file, FILE_KINDS.promptFile));
    expect(e.message).toMatch(/is 209715200 bytes; a prompt file may be at most 40003 bytes \(a prompt is at most 10000 characters\)/);
  });

  it('FIFOs are refused at once (never waited on), also behind a symlink; as are devices and folders', async () => {
    const dir = temp();
    const pipe = fifo(dir);
    symlinkSync('pipe', path.join(dir, 'model.onnx'));
    for (const file of [pipe, path.join(dir, 'model.onnx')]) {
      const e = await refusal(() => readBounded(file, FILE_KINDS.onnxGraph));
      expect(e.reason).toBe('not-a-file');
      expect(e.code).toBe('MODEL_INVALID');
      expect(e.message).toBe(`cannot read ONNX model ${file}: it is a named pipe (FIFO), not a regular file (Atelier reads only regular files)`);
      expect((await refusal(() => readBoundedSync(file, FILE_KINDS.onnxGraph))).reason).toBe('not-a-file');
      expect((await refusal(() => readHeadSync(file, FILE_KINDS.onnxGraph, 4))).reason).toBe('not-a-file');
      expect((await refusal(() => readHead(file, FILE_KINDS.image, 4))).reason).toBe('not-a-file');
      expect((await refusal(() => checkRegularFileSync(file, FILE_KINDS.onnxGraph))).reason).toBe('not-a-file');
    }
    expect((await refusal(() => readBounded('/dev/zero', FILE_KINDS.image, '--init-image'))).message).toBe(
      'cannot read --init-image /dev/zero: it is a character device, not a regular file (Atelier reads only regular files)',
    );
    expect((await refusal(() => readBounded('/dev/urandom', FILE_KINDS.image))).reason).toBe('not-a-file');
    mkdirSync(path.join(dir, 'folder'));
    expect((await refusal(() => readBounded(path.join(dir, 'folder'), small))).message).toMatch(/folder: it is a folder/);
    expect((await refusal(() => checkRegularFileSync(path.join(dir, 'folder'), FILE_KINDS.onnxGraph))).message).toMatch(/is a folder, not a regular file/);
  });

  it('a missing file, a dangling symlink and a path through a file say "does not exist" with the kind\'s missing code', async () => {
    const dir = temp();
    symlinkSync('nowhere', path.join(dir, 'dangling'));
    writeFileSync(path.join(dir, 'file'), 'x');
    for (const file of [path.join(dir, 'missing'), path.join(dir, 'dangling'), path.join(dir, 'file', 'child')]) {
      const e = await refusal(() => readBounded(file, FILE_KINDS.modelConfig));
      expect([e.reason, e.code]).toEqual(['missing', 'MODEL_MISSING_FILE']);
      expect(e.message).toBe(`cannot read model config file ${file}: it does not exist`);
    }
    expect((await refusal(() => readBounded(path.join(dir, 'missing'), FILE_KINDS.image))).code).toBe('FILE_UNREADABLE');
  });

  it('readHead returns only the first bytes of a big file', async () => {
    const file = path.join(temp(), 'big.bin');
    writeFileSync(file, Buffer.concat([Buffer.from('HEAD'), Buffer.alloc(1 << 20)]));
    expect((await readHead(file, FILE_KINDS.image, 4)).toString()).toBe('HEAD');
    expect(readHeadSync(file, FILE_KINDS.image, 4).toString()).toBe('HEAD');
  });

  it('a /proc file that reports size 0 is still read (and still capped)', async () => {
    const status = await readBounded('/proc/self/status', { noun: 'proc file', maxBytes: 1 << 20 });
    expect(status.toString()).toMatch(/^Name:/);
    const e = await refusal(() => readBounded('/proc/self/status', { noun: 'proc file', maxBytes: 8 }));
    expect(e.message).toMatch(/: it is more than 8 bytes; a proc file may be at most 8 bytes$/);
  });
});
