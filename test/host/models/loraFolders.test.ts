import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listLoras, resolveLoraNames } from '../../../src/host/models/loraFolders';

const root = mkdtempSync(path.join(os.tmpdir(), 'atelier-loras-'));
const a = path.join(root, 'a');
const b = path.join(root, 'b');
mkdirSync(path.join(a, 'style'), { recursive: true });
mkdirSync(b, { recursive: true });
writeFileSync(path.join(a, 'style', 'watercolor.safetensors'), '');
writeFileSync(path.join(a, 'notes.txt'), '');
writeFileSync(path.join(a, 'old.ckpt'), '');
writeFileSync(path.join(b, 'watercolor.safetensors'), '');
writeFileSync(path.join(b, 'pixel.SAFETENSORS'), '');

describe('LoRA folders', () => {
  it('lists .safetensors files only, in subfolders too', async () => {
    expect((await listLoras([a, b])).map((f) => f.relative)).toEqual(['style/watercolor', 'pixel', 'watercolor']);
  });

  it('resolves a name (first folder wins) or a sub/name path', async () => {
    const files = await resolveLoraNames(['watercolor', 'pixel'], [a, b], 'x');
    expect(files.get('watercolor')).toBe(path.join(a, 'style', 'watercolor.safetensors'));
    expect(files.get('pixel')).toBe(path.join(b, 'pixel.SAFETENSORS'));
    expect((await resolveLoraNames(['style/watercolor'], [b, a], 'x')).get('style/watercolor')).toBe(path.join(a, 'style', 'watercolor.safetensors'));
  });

  it('a missing name lists what was found; no folder says how to set one', async () => {
    await expect(resolveLoraNames(['old'], [a, path.join(root, 'missing')], 'x')).rejects.toThrow(/no LoRA named "old" in .*; found: style\/watercolor$/);
    await expect(resolveLoraNames(['w'], [], 'set atelier.loraFolders')).rejects.toThrow(/no LoRA folder is set: set atelier.loraFolders/);
  });
});
