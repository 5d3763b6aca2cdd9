import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isLayerFile, layerPaths, loadCanvas, saveCanvasLayers } from '../../../src/host/canvas/layerFiles';
import { ImageReadError, readImageSize } from '../../../src/host/images/imageCodec';
import { defaultPerson, fromOpenPoseJson } from '../../../src/shared/canvas/openpose';

async function image(dir: string, name: string, width: number, height: number): Promise<string> {
  const file = path.join(dir, name);
  await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 120, b: 40 } } }).png().toFile(file);
  return file;
}

describe('canvas layer files', () => {
  it('names each layer after the image', () => {
    expect(layerPaths('/w/art/hero.png')).toEqual({ mask: '/w/art/hero.mask.png', sketch: '/w/art/hero.sketch.png', depth: '/w/art/hero.depth.png', poseJson: '/w/art/hero.pose.json', posePng: '/w/art/hero.pose.png', canny: '/w/art/hero.canny.png' });
    expect(isLayerFile('/w/hero.mask.png')).toBe(true);
    expect(isLayerFile('/w/hero.png')).toBe(false);
  });

  it('save then load restores every layer; empty layers write no file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-layers-'));
    const file = await image(dir, 'hero.png', 40, 32);
    const { model } = await loadCanvas(file);
    expect(model.width).toBe(40);
    model.paint('mask', 'Mask stroke', { x: 5, y: 6, width: 3, height: 2 }, new Uint8Array(6).fill(255));
    model.setPose('Add person', { width: 40, height: 32, people: [defaultPerson(40, 32)] });
    model.setEdges({ enabled: true, low: 30, high: 90 });
    const written = (await saveCanvasLayers(file, model)).map((f) => path.basename(f)).sort();
    expect(written).toEqual(['hero.canny.png', 'hero.mask.png', 'hero.pose.json', 'hero.pose.png']);
    expect(existsSync(path.join(dir, 'hero.sketch.png'))).toBe(false);
    // PNG colour type 0: a single grey channel, as ControlNet tools expect of masks.
    expect(readFileSync(path.join(dir, 'hero.mask.png'))[25]).toBe(0);
    const mask = await sharp(path.join(dir, 'hero.mask.png')).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect(mask.data[6 * 40 + 5]).toBe(255);
    expect(mask.data[6 * 40 + 8]).toBe(0);
    expect(fromOpenPoseJson(readFileSync(path.join(dir, 'hero.pose.json'), 'utf8')).people).toHaveLength(1);

    const reloaded = await loadCanvas(file);
    expect(reloaded.notices).toEqual([]);
    expect(Buffer.from(reloaded.model.layer('mask')).equals(Buffer.from(model.layer('mask')))).toBe(true);
    expect(reloaded.model.pose.people[0].keypoints[4].x).toBeCloseTo(model.pose.people[0].keypoints[4].x, 1);
    expect(reloaded.model.edges).toEqual({ enabled: true, low: 30, high: 90 });
  });

  it('clearing a layer and saving clears its existing file (the file is the layer)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-layers-'));
    const file = await image(dir, 'a.png', 16, 16);
    const { model } = await loadCanvas(file);
    model.paint('mask', 's', { x: 0, y: 0, width: 16, height: 16 }, new Uint8Array(256).fill(255));
    await saveCanvasLayers(file, model);
    model.paint('mask', 'Clear mask', { x: 0, y: 0, width: 16, height: 16 }, new Uint8Array(256));
    await saveCanvasLayers(file, model);
    expect((await loadCanvas(file)).model.hasContent('mask')).toBe(false);
  });

  it('a mask of another size is resized with a notice; a broken pose file is reported and skipped', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-layers-'));
    const file = await image(dir, 'b.png', 32, 32);
    await sharp({ create: { width: 16, height: 16, channels: 3, background: '#ffffff' } }).png().toFile(path.join(dir, 'b.mask.png'));
    writeFileSync(path.join(dir, 'b.pose.json'), JSON.stringify({ people: [{ pose_keypoints_2d: [1, 2, 3] }] }));
    const { model, notices } = await loadCanvas(file);
    expect(notices.join('\n')).toMatch(/b\.mask\.png is 16×16, the image is 32×32/);
    expect(notices.join('\n')).toMatch(/b\.pose\.json was not loaded: people\[0\]\.pose_keypoints_2d has 3 numbers/);
    expect(model.layer('mask').every((v) => v === 255)).toBe(true);
    expect(model.pose.people).toEqual([]);
  });

  it('refuses a 20000×20000 PNG from its header, before decoding, and names the limit', async () => {
    // A valid PNG header claiming 20000×20000 (the pixel data never has to exist).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-layers-'));
    const small = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
    const huge = Buffer.from(small);
    huge.writeUInt32BE(20000, 16);
    huge.writeUInt32BE(20000, 20);
    const file = path.join(dir, 'huge.png');
    writeFileSync(file, huge);
    await expect(readImageSize(huge, 'huge.png')).rejects.toThrow(/huge\.png is 20000×20000 \(400\.0 Mpx\), above the 16\.8 Mpx limit/);
    await expect(loadCanvas(file)).rejects.toBeInstanceOf(ImageReadError);
  });

  it('a truncated image gives a clear error that names the file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-layers-'));
    const file = await image(dir, 'cut.png', 64, 64);
    writeFileSync(file, readFileSync(file).subarray(0, 60));
    await expect(loadCanvas(file)).rejects.toThrow(/cut\.png (could not be decoded|is not a readable)/);
  });
});
