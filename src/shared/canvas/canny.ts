/**
 * Canny edge detection (the ControlNet "canny" control image): luminance, 5×5 Gaussian (σ = 1.4),
 * Sobel gradients, non-maximum suppression, double threshold and hysteresis. Pure, on RGB(A) u8.
 */

export interface CannyOptions {
  /** Gradient magnitude (L1 Sobel, as OpenCV measures it) below this is never an edge; ControlNet uses 100. */
  readonly low: number;
  /** Gradient magnitude above this is always an edge; ControlNet uses 200. */
  readonly high: number;
}

const GAUSS = [2, 4, 5, 4, 2, 4, 9, 12, 9, 4, 5, 12, 15, 12, 5, 4, 9, 12, 9, 4, 2, 4, 5, 4, 2];

export function luminance(pixels: Uint8Array | Uint8ClampedArray, width: number, height: number, channels: 3 | 4): Float32Array {
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = 0.299 * pixels[i * channels] + 0.587 * pixels[i * channels + 1] + 0.114 * pixels[i * channels + 2];
  return out;
}

/** Returns a W×H edge map: 255 on edges, 0 elsewhere. */
export function canny(gray: Float32Array, width: number, height: number, options: CannyOptions): Uint8Array {
  if (!(options.low >= 0 && options.high >= options.low)) throw new RangeError(`canny thresholds need 0 ≤ low ≤ high, got low ${options.low}, high ${options.high}`);
  const at = (src: Float32Array, x: number, y: number): number => src[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))];

  // 1. Smooth.
  const smooth = new Float32Array(gray.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let j = -2; j <= 2; j++) for (let i = -2; i <= 2; i++) s += GAUSS[(j + 2) * 5 + (i + 2)] * at(gray, x + i, y + j);
      smooth[y * width + x] = s / 159;
    }
  }
  // 2. Gradients (Sobel), magnitude as |gx| + |gy| (OpenCV's default L1 norm), direction in 4 bins.
  const magnitude = new Float32Array(gray.length);
  const direction = new Uint8Array(gray.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const gx = at(smooth, x + 1, y - 1) + 2 * at(smooth, x + 1, y) + at(smooth, x + 1, y + 1) - at(smooth, x - 1, y - 1) - 2 * at(smooth, x - 1, y) - at(smooth, x - 1, y + 1);
      const gy = at(smooth, x - 1, y + 1) + 2 * at(smooth, x, y + 1) + at(smooth, x + 1, y + 1) - at(smooth, x - 1, y - 1) - 2 * at(smooth, x, y - 1) - at(smooth, x + 1, y - 1);
      magnitude[y * width + x] = Math.abs(gx) + Math.abs(gy);
      const angle = ((Math.atan2(gy, gx) * 180) / Math.PI + 180) % 180;
      direction[y * width + x] = angle < 22.5 || angle >= 157.5 ? 0 : angle < 67.5 ? 1 : angle < 112.5 ? 2 : 3;
    }
  }
  // 3. Non-maximum suppression along the gradient.
  const OFFSETS: ReadonlyArray<readonly [number, number]> = [[1, 0], [1, 1], [0, 1], [-1, 1]];
  const thin = new Float32Array(gray.length);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const [dx, dy] = OFFSETS[direction[i]];
      const m = magnitude[i];
      if (m >= magnitude[i + dy * width + dx] && m > magnitude[i - dy * width - dx]) thin[i] = m;
    }
  }
  // 4. Double threshold and hysteresis (flood from strong edges through weak ones).
  const edges = new Uint8Array(gray.length);
  const stack: number[] = [];
  for (let i = 0; i < thin.length; i++) {
    if (thin[i] > options.high) {
      edges[i] = 255;
      stack.push(i);
    }
  }
  while (stack.length > 0) {
    const i = stack.pop() ?? 0;
    const x = i % width;
    const y = (i - x) / width;
    for (let j = -1; j <= 1; j++) {
      for (let k = -1; k <= 1; k++) {
        const nx = x + k;
        const ny = y + j;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const n = ny * width + nx;
        if (edges[n] === 0 && thin[n] > options.low) {
          edges[n] = 255;
          stack.push(n);
        }
      }
    }
  }
  return edges;
}
