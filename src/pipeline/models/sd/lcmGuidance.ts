/** LCM guidance-scale embedding (diffusers `get_guidance_scale_embedding`), w = guidance − 1. */
export function guidanceScaleEmbedding(guidanceScale: number, dim: number): Float32Array {
  const w = (guidanceScale - 1) * 1000;
  const half = dim / 2;
  const scale = Math.log(10000) / (half - 1);
  const out = new Float32Array(dim);
  for (let k = 0; k < half; k++) {
    const freq = Math.exp(-k * scale);
    out[k] = Math.sin(w * freq);
    out[half + k] = Math.cos(w * freq);
  }
  return out;
}
