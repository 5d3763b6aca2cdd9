/** Nearest-neighbour resize of a single-channel W×H bitmap (masks keep their hard values). */
export function resizeNearest(data: Uint8Array, width: number, height: number, toWidth: number, toHeight: number): Uint8Array {
  const out = new Uint8Array(toWidth * toHeight);
  for (let y = 0; y < toHeight; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / toHeight));
    for (let x = 0; x < toWidth; x++) out[y * toWidth + x] = data[sy * width + Math.min(width - 1, Math.floor(((x + 0.5) * width) / toWidth))];
  }
  return out;
}
