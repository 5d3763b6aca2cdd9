import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLockFile, LOCK_FILE, readLockFile, writeLockFile, type LockFile } from '../../../src/host/recipes/lockFile';

const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'atelier-lock-'));
const lock: LockFile = {
  version: 1,
  outputs: {
    'b.png': { recipe: 'b.atelier.json', job: 'j', outputs: 'o', inputs: {}, model: 'm', backend: 'local', provider: 'cpu', files: { 'b.png': 'h' } },
    'a.png': { recipe: 'a.atelier.json', job: 'j', outputs: 'o', inputs: { 'z.png': '1', 'c.png': '2' }, model: 'm', backend: 'comfyui', provider: 'comfyui 0.3', files: { 'a.png': 'h' } },
  },
};

describe('lock file', () => {
  it('round-trips; no file reads as empty', async () => {
    const dir = temp();
    expect(await readLockFile(dir)).toEqual({ version: 1, outputs: {} });
    await writeLockFile(dir, lock);
    expect(await readLockFile(dir)).toEqual(lock);
  });

  it('is written with sorted keys, so the same lock is the same text and diffs stay small', () => {
    const text = formatLockFile(lock);
    expect(text.indexOf('"a.png"')).toBeLessThan(text.indexOf('"b.png"'));
    expect(text.indexOf('"c.png"')).toBeLessThan(text.indexOf('"z.png"'));
    expect(text.split('\n')[1]).toBe('  "version": 1,');
    const reordered: LockFile = { version: 1, outputs: { 'a.png': lock.outputs['a.png'], 'b.png': lock.outputs['b.png'] } };
    expect(formatLockFile(reordered)).toBe(text);
  });

  it('a damaged lock file is an error naming the file and the fix, never silently dropped', async () => {
    const dir = temp();
    writeFileSync(path.join(dir, LOCK_FILE), '<<<<<<< HEAD\n{}');
    await expect(readLockFile(dir)).rejects.toThrow(/atelier\.lock\.json is not valid JSON .*fix: resolve any merge conflict in it, or delete it/s);
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ version: 9, outputs: {} }));
    await expect(readLockFile(dir)).rejects.toThrow('is not an Atelier lock file of version 1');
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ version: 1, outputs: { 'a.png': { ...lock.outputs['a.png'], files: { 'a.png': 3 } } } }));
    await expect(readLockFile(dir)).rejects.toThrow('$.outputs["a.png"].files is missing or of the wrong type');
    expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toContain('"version":1');
  });
});
