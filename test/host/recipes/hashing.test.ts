import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256File, sha256Folder } from '../../../src/host/recipes/hashing';

const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-hash-'));

describe('hashing', () => {
  it('a file hashes to its SHA-256; a folder or FIFO-like non-file is refused', async () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'a.bin'), 'hello');
    expect(await sha256File(path.join(dir, 'a.bin'))).toBe(createHash('sha256').update('hello').digest('hex'));
    await expect(sha256File(dir)).rejects.toThrow('is not a regular file');
  });

  it("a model folder's hash follows every file's content and name, not its timestamps", async () => {
    const dir = temp();
    mkdirSync(path.join(dir, 'unet'));
    writeFileSync(path.join(dir, 'model_index.json'), '{}');
    writeFileSync(path.join(dir, 'unet', 'model.onnx'), 'weights-1');
    const first = await sha256Folder(dir);
    utimesSync(path.join(dir, 'unet', 'model.onnx'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(await sha256Folder(dir)).toBe(first);
    writeFileSync(path.join(dir, 'unet', 'model.onnx'), 'weights-2');
    const second = await sha256Folder(dir);
    expect(second).not.toBe(first);
    renameSync(path.join(dir, 'unet', 'model.onnx'), path.join(dir, 'unet', 'other.onnx'));
    expect(await sha256Folder(dir)).not.toBe(second);
  });

  it('follows symlinked files (the Hugging Face cache layout)', async () => {
    const blobs = temp();
    const snap = temp();
    writeFileSync(path.join(blobs, 'abc'), 'weights');
    symlinkSync(path.join(blobs, 'abc'), path.join(snap, 'model.onnx'));
    const copy = temp();
    writeFileSync(path.join(copy, 'model.onnx'), 'weights');
    expect(await sha256Folder(snap)).toBe(await sha256Folder(copy));
  });
});
