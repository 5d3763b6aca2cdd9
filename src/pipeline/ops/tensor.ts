/** Tensor math on Float32Array + dims. Pure: new arrays are returned; a trailing `_` marks in-place. */

export function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function scale(x: Float32Array, factor: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * factor;
  return out;
}

/** Writes `x` into `out` `copies` times back to back (the CFG batch without a new allocation). */
export function repeatInto_(out: Float32Array, x: Float32Array, copies: number): Float32Array {
  for (let c = 0; c < copies; c++) out.set(x, c * x.length);
  return out;
}

/** Classifier-free guidance: uncond + g·(cond − uncond), written into `out` (a new array by default). */
export function cfg(uncond: Float32Array, cond: Float32Array, guidanceScale: number, out = new Float32Array(cond.length)): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = uncond[i] + guidanceScale * (cond[i] - uncond[i]);
  return out;
}

/** Stacks equally-sized batch-1 tensors along the batch axis. */
export function concatBatch(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}


export function allFinite(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

