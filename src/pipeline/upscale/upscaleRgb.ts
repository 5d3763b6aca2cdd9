/**
 * Runs a super-resolution network over an RGB image tile by tile (see tiling.ts): each tile's output
 * is clipped to [0, 255], weighted, and accumulated in a band of output rows that is written out as
 * soon as no later tile can touch it, so memory stays at one tile row however large the image.
 */
import { PipelineError } from '../../shared/errors';
import type { Session } from '../backends/onnx';
import { findInput, pickOutput, readFloat } from '../models/tensorIo';
import { blendWeight, planTiles, type TileOptions, type TilePlan } from './tiling';

export interface RgbPixels {
  readonly width: number;
  readonly height: number;
  /** Interleaved RGB u8. */
  readonly rgb: Uint8Array;
}

export interface UpscaleRgbOptions {
  readonly scale: number;
  readonly tiles: TileOptions;
  /** Called before each tile; throw from it to stop (cancel). */
  readonly beforeTile?: (index: number, total: number) => Promise<void>;
  /** Input pixels to leave out of the result on every side (a context border the caller added). */
  readonly trim?: number;
}

/**
 * Tiles whose upsampled activations stay near 640² whatever the scale (peak memory), with a context
 * margin just beyond the network's receptive radius so tiled and whole-image runs agree.
 */
export function defaultTiles(scale: number, receptiveRadius: number): TileOptions {
  const margin = Math.ceil(receptiveRadius) + 2;
  return { core: Math.max(64, Math.floor(640 / scale) - 2 * margin), margin, blend: Math.min(8, margin) };
}

/** The tile's input crop as [1, 3, h, w] floats in [0, 255] (the models' input range). */
function tileInput(image: RgbPixels, t: TilePlan): Float32Array {
  const w = t.inX1 - t.inX0;
  const h = t.inY1 - t.inY0;
  const out = new Float32Array(3 * w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = ((t.inY0 + y) * image.width + t.inX0 + x) * 3;
      for (let c = 0; c < 3; c++) out[(c * h + y) * w + x] = image.rgb[src + c];
    }
  }
  return out;
}

export async function upscaleRgb(session: Session, image: RgbPixels, options: UpscaleRgbOptions): Promise<RgbPixels> {
  const { scale } = options;
  const input = findInput(session, ['LR', 'input'], 'low-resolution image');
  const outputName = pickOutput(session, 'SR');
  const W = image.width * scale;
  const H = image.height * scale;
  const cut = (options.trim ?? 0) * scale;
  const outW = W - 2 * cut;
  const outH = H - 2 * cut;
  if (outW < 1 || outH < 1) throw new RangeError(`trimming ${options.trim} px leaves nothing of a ${image.width}×${image.height} image`);
  const out = new Uint8Array(outW * outH * 3);
  const rows = planTiles(image.width, image.height, options.tiles);
  const total = rows.length * rows[0].length;
  const bandRows = Math.max(...rows.map((r) => (r[0].outY1 - r[0].outY0) * scale));
  const band = new Float32Array(3 * W * bandRows);
  let bandStart = 0; // output row held in band row 0
  let done = 0;

  for (let j = 0; j < rows.length; j++) {
    for (const t of rows[j]) {
      await options.beforeTile?.(done, total);
      const inW = t.inX1 - t.inX0;
      const inH = t.inY1 - t.inY0;
      const result = await session.run({ [input.name]: { type: 'float32', data: tileInput(image, t), dims: [1, 3, inH, inW] } });
      const sr = readFloat(result[outputName], outputName);
      const dims = result[outputName].dims;
      if (dims[2] !== inH * scale || dims[3] !== inW * scale) {
        throw new PipelineError('MODEL_INVALID', `${session.file} returned ${dims[3]}×${dims[2]} for a ${inW}×${inH} tile; expected ${scale}× (${inW * scale}×${inH * scale})`);
      }
      const srW = inW * scale;
      const plane = srW * inH * scale;
      for (let oy = t.outY0 * scale; oy < t.outY1 * scale; oy++) {
        const wy = blendWeight(oy, t.y0, t.y1, t.outY0, t.outY1, scale);
        const sy = oy - t.inY0 * scale;
        const by = oy - bandStart;
        for (let ox = t.outX0 * scale; ox < t.outX1 * scale; ox++) {
          const w = wy * blendWeight(ox, t.x0, t.x1, t.outX0, t.outX1, scale);
          if (w === 0) continue;
          const s = sy * srW + (ox - t.inX0 * scale);
          for (let c = 0; c < 3; c++) band[(c * bandRows + by) * W + ox] += w * Math.min(255, Math.max(0, sr[c * plane + s]));
        }
      }
      done += 1;
    }
    // Rows above the next tile row's reach are final: write them out, keep the shared band.
    const finalEnd = j + 1 < rows.length ? rows[j + 1][0].outY0 * scale : H;
    for (let oy = Math.max(bandStart, cut); oy < Math.min(finalEnd, H - cut); oy++) {
      for (let ox = cut; ox < W - cut; ox++) for (let c = 0; c < 3; c++) out[((oy - cut) * outW + ox - cut) * 3 + c] = Math.round(band[(c * bandRows + oy - bandStart) * W + ox]);
    }
    const keep = rows[j][0].outY1 * scale - finalEnd;
    for (let c = 0; c < 3; c++) {
      const base = c * bandRows * W;
      band.copyWithin(base, base + (finalEnd - bandStart) * W, base + (finalEnd - bandStart + Math.max(0, keep)) * W);
      band.fill(0, base + Math.max(0, keep) * W, base + bandRows * W);
    }
    bandStart = finalEnd;
  }
  return { width: outW, height: outH, rgb: out };
}
