/**
 * Tiled upscaling (pure): the image is cut into cores of `core` px; each tile runs on its core plus a
 * `margin` of context (wider than the network's receptive field, so a tile sees what the whole-image
 * run would), and its output covers the core plus a `blend` band on sides that touch another tile.
 * In those bands two tiles' outputs are cross-faded with linear weights that sum to 1.
 */

export interface TilePlan {
  /** The core, in input pixels. */
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  /** The input crop the network runs on (core + margin, clipped to the image). */
  readonly inX0: number;
  readonly inY0: number;
  readonly inX1: number;
  readonly inY1: number;
  /** The part of the output this tile contributes to (core + blend band, clipped), in input pixels. */
  readonly outX0: number;
  readonly outY0: number;
  readonly outX1: number;
  readonly outY1: number;
}

export interface TileOptions {
  readonly core: number;
  readonly margin: number;
  readonly blend: number;
}

/** Tiles row by row (top to bottom, left to right). One tile when the image fits in a core. */
export function planTiles(width: number, height: number, options: TileOptions): TilePlan[][] {
  const { core, margin, blend } = options;
  if (blend > margin) throw new Error(`the blend band (${blend}) must not exceed the margin (${margin})`);
  const cuts = (n: number): number[] => {
    const count = Math.max(1, Math.ceil(n / core));
    return [...Array(count + 1).keys()].map((i) => Math.round((i * n) / count));
  };
  const xs = cuts(width);
  const ys = cuts(height);
  const rows: TilePlan[][] = [];
  for (let j = 0; j < ys.length - 1; j++) {
    const row: TilePlan[] = [];
    for (let i = 0; i < xs.length - 1; i++) {
      const [x0, x1, y0, y1] = [xs[i], xs[i + 1], ys[j], ys[j + 1]];
      row.push({
        x0,
        y0,
        x1,
        y1,
        inX0: Math.max(0, x0 - margin),
        inY0: Math.max(0, y0 - margin),
        inX1: Math.min(width, x1 + margin),
        inY1: Math.min(height, y1 + margin),
        outX0: Math.max(0, x0 - blend),
        outY0: Math.max(0, y0 - blend),
        outX1: Math.min(width, x1 + blend),
        outY1: Math.min(height, y1 + blend),
      });
    }
    rows.push(row);
  }
  return rows;
}

/**
 * Weight of a tile's output at output coordinate `p` (in output pixels) along one axis: 1 in the
 * core, ramping linearly across the 2·blend band shared with the neighbour, so neighbours sum to 1.
 */
export function blendWeight(p: number, core0: number, core1: number, out0: number, out1: number, scale: number): number {
  const centre = p + 0.5;
  let w = 1;
  if (out0 < core0) w = Math.min(w, (centre - out0 * scale) / ((core0 - out0) * 2 * scale));
  if (out1 > core1) w = Math.min(w, (out1 * scale - centre) / ((out1 - core1) * 2 * scale));
  return Math.max(0, Math.min(1, w));
}
