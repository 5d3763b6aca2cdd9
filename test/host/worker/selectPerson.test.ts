/**
 * "Select person" through the worker RPC the canvas uses: a mask only when someone is there. The
 * selfie model alone marks any big foreground (a real hibiscus photo, shipped in an npm package,
 * came back 59 % "person"); the pose detector's verdict gates it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { DetectRequest } from '../../../src/shared/request';
import { figureImage, STANDING } from '../../helpers/figure';
import { testSupervisor } from '../../helpers/worker';

const { supervisor } = testSupervisor();
afterAll(async () => supervisor.dispose());

async function request(png: Uint8Array): Promise<DetectRequest> {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgba: new Uint8Array(data), executionProvider: 'cpu' };
}

describe('Select person (worker)', () => {
  it('finds no one in a photo of a flower: no mask, coverage 0', async () => {
    const flower = readFileSync(path.resolve('node_modules/@upscalerjs/esrgan-slim/assets/fixture.png'));
    const result = await supervisor.segmentPerson(await request(flower));
    expect(result.mask).toBeUndefined();
    expect(result.coverage).toBe(0);
  });

  it('masks a person who is there', async () => {
    const result = await supervisor.segmentPerson(await request(await figureImage([STANDING])));
    expect(result.mask).toBeDefined();
    expect(result.coverage).toBeGreaterThan(0.05);
  });
});
