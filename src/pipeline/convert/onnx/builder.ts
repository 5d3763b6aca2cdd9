/**
 * The layers the Stable Diffusion graphs are made of, written once over the ONNX writer: weights come from a
 * WeightSource one tensor at a time and go straight to the graph (which streams them to disk), so building a
 * component holds at most one tensor in memory. Formulations chosen for onnxruntime's CPU provider:
 * - GroupNorm as Reshape → InstanceNormalization → Reshape → affine (what torch exports; ORT runs it in one
 *   vectorised kernel per group and it matches the direct computation to float rounding).
 * - Attention as Q·Kᵀ with K transposed once to [B,H,d,M] by its Reshape/Transpose, the 1/√d scale folded into
 *   the Q weights (no Mul over the score matrix), no Split copies (Q, K, V are separate MatMuls).
 * - Linear layers as MatMul with the weight stored transposed ([in, out]), bias as a separate Add.
 */
import { float32ToFloat16 } from '../../ops/fp16';
import { Graph, I, INTS, S, type DType } from '../../onnxWriter/graph';
import type { ConvertPrecision, WeightSource } from '../types';

export class ConvertCancelled extends Error {
  constructor() {
    super('conversion cancelled');
  }
}

export interface BuilderOptions {
  readonly precision: ConvertPrecision;
  readonly signal?: AbortSignal;
  /** Called after each weight is written, with the number of distinct checkpoint tensors used so far. */
  readonly onWeight?: (done: number) => void;
}

export class Builder {
  private readonly read = new Set<string>();
  /** The dtype the graph computes in; inputs and outputs stay float32 either way (Cast at the edges). */
  readonly float: DType;

  constructor(
    readonly g: Graph,
    private readonly weights: WeightSource,
    private readonly prefix: string,
    private readonly options: BuilderOptions,
  ) {
    this.float = options.precision === 'fp16' ? 'float16' : 'float32';
  }

  has(key: string): boolean {
    return this.weights.info(this.prefix + key) !== undefined;
  }

  shape(key: string): readonly number[] {
    const info = this.weights.info(this.prefix + key);
    if (!info) throw new Error(`The checkpoint has no tensor ${this.prefix + key}; it is needed to build the graph.`);
    return info.shape;
  }

  /** Reads one weight, optionally reshapes/transforms it, and adds it to the graph in the compute dtype. */
  async tensor(key: string, transform?: (values: Float32Array, shape: readonly number[]) => { values: Float32Array; dims: readonly number[] }): Promise<string> {
    if (this.options.signal?.aborted) throw new ConvertCancelled();
    const shape = this.shape(key);
    const raw = await this.weights.read(this.prefix + key);
    const { values, dims } = transform ? transform(raw, shape) : { values: raw, dims: shape };
    const name = this.constant(values, dims, key.replace(/[^\w.]/g, '_'));
    this.read.add(key);
    this.options.onWeight?.(this.read.size);
    return name;
  }

  /** A float constant in the compute dtype. */
  constant(values: Float32Array | readonly number[], dims: readonly number[], name = 'c'): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.float === 'float16' ? this.g.half(float32ToFloat16(data), dims, name) : this.g.weight(data, dims, name);
  }

  ints(values: readonly number[]): string {
    return this.g.int64(values);
  }

  /** A graph input converted to the compute dtype. */
  floatInput(name: string, shape: readonly (number | string)[]): string {
    this.g.input(name, 'float32', shape);
    return this.float === 'float32' ? name : this.g.op('Cast', [name], { to: I(10) });
  }

  /** Names `value` as the float32 graph output `name`. */
  floatOutput(value: string, name: string, shape: readonly (number | string)[] | null): void {
    this.g.op(this.float === 'float32' ? 'Identity' : 'Cast', [value], this.float === 'float32' ? {} : { to: I(1) }, name);
    this.g.output(name, 'float32', shape);
  }

  /** y = x·Wᵀ (+ b), W stored [in, out]; `scale` multiplies W and b (folds attention's 1/√d into Q). */
  async linear(x: string, key: string, options: { readonly bias?: boolean; readonly scale?: number; readonly rows?: readonly [number, number] } = {}): Promise<string> {
    const w = await this.tensor(`${key}.weight`, (values, shape) => {
      // Attention projections saved as 1×1 convolutions by older diffusers are linear layers too.
      const [out, inp] = [shape[0], shape.slice(1).reduce((a, b) => a * b, 1)];
      const [from, to] = options.rows ?? [0, out];
      const t = new Float32Array(inp * (to - from));
      const scale = options.scale ?? 1;
      for (let o = from; o < to; o += 1) for (let i = 0; i < inp; i += 1) t[i * (to - from) + (o - from)] = values[o * inp + i] * scale;
      return { values: t, dims: [inp, to - from] };
    });
    let y = this.g.op('MatMul', [x, w]);
    if (options.bias !== false && this.has(`${key}.bias`)) {
      const b = await this.tensor(`${key}.bias`, (values) => {
        const [from, to] = options.rows ?? [0, values.length];
        const scale = options.scale ?? 1;
        return { values: values.slice(from, to).map((v) => v * scale), dims: [to - from] };
      });
      y = this.g.op('Add', [y, b]);
    }
    return y;
  }

  /** 2-D convolution; `pads` are [top, left, bottom, right]. */
  async conv(x: string, key: string, options: { readonly stride?: number; readonly pads?: readonly number[]; readonly outRows?: number } = {}): Promise<string> {
    const shape = this.shape(`${key}.weight`);
    const outRows = options.outRows;
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    const w = await this.tensor(`${key}.weight`, (values) =>
      outRows === undefined ? { values, dims: shape } : { values: values.slice(0, outRows * per), dims: [outRows, ...shape.slice(1)] },
    );
    const b = await this.tensor(`${key}.bias`, (values) => (outRows === undefined ? { values, dims: [values.length] } : { values: values.slice(0, outRows), dims: [outRows] }));
    const k = shape[2];
    const pad = (k - 1) / 2;
    const stride = options.stride ?? 1;
    return this.g.op('Conv', [x, w, b], { kernel_shape: INTS([k, shape[3]]), pads: INTS(options.pads ?? [pad, pad, pad, pad]), strides: INTS([stride, stride]) });
  }

  /** GroupNorm over [B, C, H, W] (or [B, C, N]). */
  async groupNorm(x: string, key: string, groups: number, eps: number): Promise<string> {
    const channels = this.shape(`${key}.weight`)[0];
    const grouped = this.g.op('Reshape', [x, this.ints([0, groups, -1])]);
    const ones = this.constant(new Float32Array(groups).fill(1), [groups]);
    const zeros = this.constant(new Float32Array(groups), [groups]);
    const normed = this.g.op('InstanceNormalization', [grouped, ones, zeros], { epsilon: { float: eps } });
    const back = this.g.op('Reshape', [normed, this.g.op('Shape', [x])]);
    const gamma = await this.tensor(`${key}.weight`, (v) => ({ values: v, dims: [channels, 1, 1] }));
    const beta = await this.tensor(`${key}.bias`, (v) => ({ values: v, dims: [channels, 1, 1] }));
    return this.g.op('Add', [this.g.op('Mul', [back, gamma]), beta]);
  }

  /** LayerNorm over the last axis (opset 17's fused op). */
  async layerNorm(x: string, key: string, eps: number): Promise<string> {
    const gamma = await this.tensor(`${key}.weight`);
    const beta = await this.tensor(`${key}.bias`);
    return this.g.op('LayerNormalization', [x, gamma, beta], { axis: I(-1), epsilon: { float: eps } });
  }

  silu(x: string): string {
    return this.g.op('Mul', [x, this.g.op('Sigmoid', [x])]);
  }

  /** Exact (erf) GELU; ORT fuses the pattern into its Gelu kernel. */
  gelu(x: string): string {
    const inner = this.g.op('Erf', [this.g.op('Mul', [x, this.constant([Math.SQRT1_2], [])])]);
    return this.g.op('Mul', [this.g.op('Mul', [x, this.constant([0.5], [])]), this.g.op('Add', [inner, this.constant([1], [])])]);
  }

  quickGelu(x: string): string {
    return this.g.op('Mul', [x, this.g.op('Sigmoid', [this.g.op('Mul', [x, this.constant([1.702], [])])])]);
  }

  /**
   * softmax(q·kᵀ + mask)·v for q [B,N,C] (already scaled by 1/√d), k and v [B,M,C]; returns [B,N,C].
   * K goes straight to [B,H,d,M] so the score MatMul needs no transposed copy of its own.
   */
  attention(q: string, k: string, v: string, heads: number, channels: number, mask?: string): string {
    const d = channels / heads;
    if (!Number.isInteger(d)) throw new Error(`attention: ${channels} channels do not split into ${heads} heads`);
    if (heads === 1) {
      let scores = this.g.op('MatMul', [q, this.g.op('Transpose', [k], { perm: INTS([0, 2, 1]) })]);
      if (mask) scores = this.g.op('Add', [scores, mask]);
      return this.g.op('MatMul', [this.g.op('Softmax', [scores], { axis: I(-1) }), v]);
    }
    const split = this.ints([0, -1, heads, d]);
    const qh = this.g.op('Transpose', [this.g.op('Reshape', [q, split])], { perm: INTS([0, 2, 1, 3]) });
    const kt = this.g.op('Transpose', [this.g.op('Reshape', [k, split])], { perm: INTS([0, 2, 3, 1]) });
    const vh = this.g.op('Transpose', [this.g.op('Reshape', [v, split])], { perm: INTS([0, 2, 1, 3]) });
    let scores = this.g.op('MatMul', [qh, kt]);
    if (mask) scores = this.g.op('Add', [scores, mask]);
    const out = this.g.op('MatMul', [this.g.op('Softmax', [scores], { axis: I(-1) }), vh]);
    return this.g.op('Reshape', [this.g.op('Transpose', [out], { perm: INTS([0, 2, 1, 3]) }), this.ints([0, -1, channels])]);
  }

  /** [B, C, H, W] → [B, H·W, C]. */
  toTokens(x: string, channels: number): string {
    return this.g.op('Transpose', [this.g.op('Reshape', [x, this.ints([0, channels, -1])])], { perm: INTS([0, 2, 1]) });
  }

  /** [B, H·W, C] → the shape of `like` ([B, C, H, W]). */
  fromTokens(x: string, like: string): string {
    return this.g.op('Reshape', [this.g.op('Transpose', [x], { perm: INTS([0, 2, 1]) }), this.g.op('Shape', [like])]);
  }

  upsampleNearest2x(x: string): string {
    return this.g.op('Resize', [x, '', this.constantF32([1, 1, 2, 2])], { mode: S('nearest'), coordinate_transformation_mode: S('asymmetric'), nearest_mode: S('floor') });
  }

  /** Resize's scales are float32 whatever the compute dtype. */
  private constantF32(values: readonly number[]): string {
    return this.g.weight(values, [values.length], 'scales');
  }
}
