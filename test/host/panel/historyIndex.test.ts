import { randomBytes } from 'node:crypto';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { buildHistory, displayFolder, HISTORY_GLOB, readAtelierParameters } from '../../../src/host/panel/historyIndex';
import { formatParameters } from '../../../src/host/output/parameters';
import { withParameters } from '../../../src/host/output/imageMetadata';
import { insertITxt } from '../../../src/host/output/pngText';

async function png(file: string, parameters: string | undefined, mtime: number): Promise<void> {
  const bytes = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } }).png().toBuffer();
  writeFileSync(file, parameters ? insertITxt(bytes, 'parameters', parameters) : bytes);
  utimesSync(file, mtime, mtime);
}

const params = (prompt: string, seed: number, version = '0.1.0') =>
  formatParameters({ prompt, negativePrompt: '', steps: 20, sampler: 'euler', guidanceScale: 7, seed, width: 64, height: 64, model: 'demo', version });

describe('history from PNG metadata', () => {
  it('lists Atelier images newest first, skips other PNGs and layer files, and reads back prompt and seed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-history-'));
    await png(path.join(dir, 'old.png'), params('an old lighthouse', 1), 1000);
    await png(path.join(dir, 'new.png'), params('a new lighthouse', 2), 3000);
    await png(path.join(dir, 'plain.png'), undefined, 4000);
    await png(path.join(dir, 'new.mask.png'), params('not history', 3), 5000);
    // A1111's own images have parameters too, but are not Atelier's.
    await png(path.join(dir, 'a1111.png'), params('from elsewhere', 4).replace('Atelier 0.1.0', '"v1.10.1"'), 6000);
    const files = ['old.png', 'new.png', 'plain.png', 'new.mask.png', 'a1111.png', 'gone.png'].map((f) => path.join(dir, f));
    const history = await buildHistory(files, 10);
    expect(history.map((h) => path.basename(h.file))).toEqual(['new.png', 'old.png']);
    expect(history[0].parameters).toMatchObject({ prompt: 'a new lighthouse', seed: 2, width: 64 });
    expect((await buildHistory(files, 1)).map((h) => path.basename(h.file))).toEqual(['new.png']);
  });

  it('lists JPEG and WebP outputs too (parameters in the EXIF UserComment), even when WebP keeps them after 256 KB of pixels', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-history-'));
    const write = (file: string, bytes: Uint8Array, parameters: string | undefined, mtime: number, size = 64): void => {
      writeFileSync(path.join(dir, file), parameters ? withParameters(bytes, parameters, { width: size, height: size }) : bytes);
      utimesSync(path.join(dir, file), mtime, mtime);
    };
    const flat = sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } });
    write('a.jpg', await flat.clone().jpeg().toBuffer(), params('a jpeg lighthouse', 5), 1000);
    write('b.JPEG', await flat.clone().jpeg().toBuffer(), params('an upper-case jpeg', 6), 2000);
    write('c.webp', await flat.clone().webp().toBuffer(), params('a webp lighthouse', 7), 3000);
    const noise = randomBytes(600 * 600 * 3);
    const bigWebp = await sharp(noise, { raw: { width: 600, height: 600, channels: 3 } }).webp({ lossless: true }).toBuffer();
    expect(bigWebp.length).toBeGreaterThan(256 * 1024);
    write('d.webp', bigWebp, params('a large webp', 8), 4000, 600);
    write('plain.jpg', await flat.clone().jpeg().toBuffer(), undefined, 5000);
    write('notes.txt', Buffer.from('not an image'), undefined, 6000);
    const files = ['a.jpg', 'b.JPEG', 'c.webp', 'd.webp', 'plain.jpg', 'notes.txt'].map((f) => path.join(dir, f));
    const history = await buildHistory(files, 10);
    expect(history.map((h) => path.basename(h.file))).toEqual(['d.webp', 'c.webp', 'b.JPEG', 'a.jpg']);
    expect(history.map((h) => h.parameters.seed)).toEqual([8, 7, 6, 5]);
    expect(await readAtelierParameters(path.join(dir, 'd.webp'))).toMatchObject({ prompt: 'a large webp' });
  });

  it('the Explorer watcher and the workspace search cover every output format', () => {
    for (const ext of ['png', 'jpg', 'jpeg', 'webp']) expect(HISTORY_GLOB).toContain(ext);
  });

  it('shows folders relative to the workspace', () => {
    expect(displayFolder('/w/assets/generated/a.png', '/w')).toBe(path.join('assets', 'generated'));
    expect(displayFolder('/w/a.png', '/w')).toBe('.');
    expect(displayFolder('/elsewhere/a.png', '/w')).toBe('/elsewhere');
  });
});
