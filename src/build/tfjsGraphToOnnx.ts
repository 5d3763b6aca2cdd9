/**
 * Converts the convolutional part of a TensorFlow.js *graph* model (a frozen TF graph + weight shards)
 * to ONNX: the subgraph from one image placeholder to the named output nodes. Post-processing
 * (top-k, gathers, …) stays out; the pipeline decodes the outputs in TypeScript. Supported: Conv2D,
 * DepthwiseConv2dNative and their fused forms (BiasAdd, Relu, Relu6), Conv2DBackpropInput, Add/AddV2/
 * AddN/Sub/Mul/RealDiv with constants, Relu, Relu6, Sigmoid, AvgPool, MaxPool, bilinear resize, Cast,
 * Identity. TF works in NHWC, the ONNX graph in NCHW: the input is transposed once, kernels and
 * per-channel constants are laid out for NCHW, and every output is NCHW.
 */
import { float16ToFloat32, float32ToFloat16 } from '../pipeline/ops/fp16';
import { Graph, I, INTS, S, type EncodedModel } from './onnxGraph';
import { ConversionError, hwioToOihw, readWeights, type WeightData, type WeightsGroup } from './tfjsWeights';

interface TfAttr {
  readonly s?: string;
  readonly i?: string | number;
  readonly b?: boolean;
  readonly type?: string;
  readonly list?: { readonly i?: readonly (string | number)[]; readonly s?: readonly string[] };
}

export interface TfNode {
  readonly name: string;
  readonly op: string;
  readonly input?: readonly string[];
  readonly attr?: Readonly<Record<string, TfAttr>>;
}

export interface GraphModelJson {
  readonly format?: string;
  readonly modelTopology: { readonly node: readonly TfNode[] };
  readonly weightsManifest: readonly WeightsGroup[];
}

export interface GraphConversionSpec {
  /** The image placeholder; it becomes the ONNX input `image`, float32 NHWC [1, height, width, channels]. */
  readonly input: string;
  readonly channels: number;
  /** ONNX output name → TF node name (outputs are NCHW). */
  readonly outputs: Readonly<Record<string, string>>;
}

type Value = { readonly kind: 'tensor'; readonly name: string } | { readonly kind: 'const'; readonly data: WeightData };

const text = (a: TfAttr | undefined): string => (a?.s === undefined ? '' : Buffer.from(a.s, 'base64').toString('utf8'));
const ints = (a: TfAttr | undefined): number[] => (a?.list?.i ?? []).map(Number);
const strings = (a: TfAttr | undefined): string[] => (a?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));

/**
 * A float constant: stored as float16 with a Cast to float32 when that loses nothing (the shipped
 * weights are float16, so the file stays half the size and the values stay bit-identical; onnxruntime
 * folds the Cast when the session loads), else as float32.
 */
function floatConstant(g: Graph, data: Float32Array, dims: readonly number[], prefix: string): string {
  const bits = float32ToFloat16(data);
  const back = float16ToFloat32(bits);
  if (!back.every((v, i) => Object.is(v, data[i]))) return g.weight(data, dims, prefix);
  return g.op('Cast', [g.half(bits, dims, prefix)], { to: I(1) });
}

/** A per-channel or scalar constant in a layout that broadcasts against NCHW. */
function nchwConstant(g: Graph, node: TfNode, c: WeightData): string {
  if (c.dtype !== 'float32') throw new ConversionError(`node ${node.name} (${node.op}) applies an ${c.dtype} constant to an image tensor; only float constants are supported`);
  const { shape, data } = c;
  const count = data.length;
  if (count === 1) return floatConstant(g, data, [], 'k');
  if (shape.length === 1) return floatConstant(g, data, [count, 1, 1], 'k');
  if (shape.length === 4 && shape[0] === 1 && shape[1] === 1 && shape[2] === 1) return floatConstant(g, data, [1, count, 1, 1], 'k');
  throw new ConversionError(`node ${node.name} (${node.op}) uses a constant of shape [${shape.join(', ')}]; only scalars and per-channel vectors are supported`);
}

function padding(node: TfNode): 'SAME' | 'VALID' {
  const p = text(node.attr?.padding);
  if (p !== 'SAME' && p !== 'VALID') throw new ConversionError(`node ${node.name} (${node.op}) uses padding ${p || '(none)'}; only SAME and VALID are supported`);
  return p;
}

function spatial(node: TfNode, attr: string, fallback: number): [number, number] {
  const list = ints(node.attr?.[attr]);
  if (list.length === 0) return [fallback, fallback];
  if (list.length !== 4 || list[0] !== 1 || list[3] !== 1) throw new ConversionError(`node ${node.name} (${node.op}) has ${attr} [${list.join(', ')}]; only [1, h, w, 1] is supported`);
  return [list[1], list[2]];
}

function checkNhwc(node: TfNode): void {
  const format = text(node.attr?.data_format);
  if (format !== '' && format !== 'NHWC') throw new ConversionError(`node ${node.name} (${node.op}) uses data_format ${format}; only NHWC is supported`);
}

export function convertGraphModel(model: GraphModelJson, readShard: (path: string) => Uint8Array, spec: GraphConversionSpec): EncodedModel {
  const nodes = new Map(model.modelTopology.node.map((n) => [n.name, n]));
  const weights = readWeights(model.weightsManifest, readShard);
  const g = new Graph();
  const converted = new Map<string, Value>();
  const visiting = new Set<string>();

  const constOf = (node: TfNode, ref: string, what: string): WeightData => {
    const v = value(ref);
    if (v.kind !== 'const') throw new ConversionError(`node ${node.name} (${node.op}) takes its ${what} from ${ref}, which is computed; only constant ${what}s are supported`);
    return v.data;
  };
  const tensorOf = (node: TfNode, ref: string): string => {
    const v = value(ref);
    if (v.kind !== 'tensor') throw new ConversionError(`node ${node.name} (${node.op}) works on constants only; fold it before converting`);
    return v.name;
  };
  const inputsOf = (node: TfNode): string[] => (node.input ?? []).filter((i) => !i.startsWith('^'));

  function conv(node: TfNode, depthwise: boolean): string {
    checkNhwc(node);
    const [x, filterRef, ...args] = inputsOf(node);
    const filter = constOf(node, filterRef, 'filter');
    if (filter.dtype !== 'float32' || filter.shape.length !== 4) throw new ConversionError(`node ${node.name} (${node.op}) has a filter of shape [${filter.shape.join(', ')}]; expected [h, w, in, out]`);
    const [kh, kw, cin, cout] = filter.shape;
    const outChannels = depthwise ? cin * cout : cout;
    const kernel = depthwise ? floatConstant(g, hwioToOihw(filter.data, [kh, kw, 1, outChannels]), [outChannels, 1, kh, kw], 'kernel') : floatConstant(g, hwioToOihw(filter.data, filter.shape), [cout, cin, kh, kw], 'kernel');
    const fused = node.op.startsWith('_Fused') || node.op.startsWith('Fused') ? strings(node.attr?.fused_ops) : [];
    const inputs = [tensorOf(node, x), kernel];
    if (fused.length > 0) {
      if (fused[0] !== 'BiasAdd' || args.length !== 1) throw new ConversionError(`node ${node.name} (${node.op}) fuses ${fused.join(', ')}; only BiasAdd optionally followed by Relu or Relu6 is supported`);
      const bias = constOf(node, args[0], 'bias');
      if (bias.dtype !== 'float32') throw new ConversionError(`node ${node.name} (${node.op}) has a non-float bias`);
      inputs.push(floatConstant(g, bias.data, [outChannels], 'bias'));
    }
    const [sh, sw] = spatial(node, 'strides', 1);
    const [dh, dw] = spatial(node, 'dilations', 1);
    const attrs = { kernel_shape: INTS([kh, kw]), strides: INTS([sh, sw]), dilations: INTS([dh, dw]), group: I(depthwise ? cin : 1) };
    const out = g.op('Conv', inputs, padding(node) === 'SAME' ? { ...attrs, auto_pad: S('SAME_UPPER') } : { ...attrs, pads: INTS([0, 0, 0, 0]) });
    return activate(node, out, fused.slice(1));
  }

  function activate(node: TfNode, input: string, ops: readonly string[]): string {
    return ops.reduce((v, op) => {
      if (op === 'Relu') return g.op('Relu', [v]);
      if (op === 'Relu6') return g.op('Clip', [v, g.scalar(0), g.scalar(6)]);
      throw new ConversionError(`node ${node.name} (${node.op}) fuses ${op}; only Relu and Relu6 are supported`);
    }, input);
  }

  function transposedConv(node: TfNode): string {
    checkNhwc(node);
    const [shapeRef, filterRef, x] = inputsOf(node);
    const outShape = constOf(node, shapeRef, 'output shape');
    const filter = constOf(node, filterRef, 'filter');
    if (filter.dtype !== 'float32' || filter.shape.length !== 4) throw new ConversionError(`node ${node.name} (${node.op}) has a filter of shape [${filter.shape.join(', ')}]; expected [h, w, out, in]`);
    const [kh, kw, cout, cin] = filter.shape;
    const [sh, sw] = spatial(node, 'strides', 1);
    if (padding(node) !== 'SAME') throw new ConversionError(`node ${node.name} (${node.op}) uses VALID padding; only SAME is supported for transposed convolutions`);
    const [, oh, ow] = Array.from(outShape.data);
    const total = (out: number, s: number, k: number): number => s * (Math.ceil(out / s) - 1) + k - out;
    const th = total(oh, sh, kh);
    const tw = total(ow, sw, kw);
    if (th < 0 || tw < 0) throw new ConversionError(`node ${node.name} (${node.op}) asks for a ${oh}×${ow} output its kernel and strides cannot produce`);
    const pads = [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
    const kernel = floatConstant(g, hwioToOihw(filter.data, filter.shape), [cin, cout, kh, kw], 'kernel');
    return g.op('ConvTranspose', [tensorOf(node, x), kernel], { kernel_shape: INTS([kh, kw]), strides: INTS([sh, sw]), pads: INTS(pads) });
  }

  function binary(node: TfNode, op: 'Add' | 'Sub' | 'Mul' | 'Div'): Value {
    const [a, b] = inputsOf(node).map(value);
    if (a.kind === 'const' && b.kind === 'const') throw new ConversionError(`node ${node.name} (${node.op}) works on constants only; fold it before converting`);
    const side = (v: Value): string => (v.kind === 'tensor' ? v.name : nchwConstant(g, node, v.data));
    return { kind: 'tensor', name: g.op(op, [side(a), side(b)]) };
  }

  /** The resize factor of `ResizeBilinear(x, Shape(x)[1:3] * k)`, the form Keras' UpSampling2D freezes to. */
  function upsamplingFactor(node: TfNode, x: string, sizeRef: string): [number, number] {
    const mul = nodes.get(sizeRef.split(':')[0]);
    const [sliceRef, factorRef] = mul?.op === 'Mul' ? inputsOf(mul) : [];
    const slice = sliceRef ? nodes.get(sliceRef.split(':')[0]) : undefined;
    const shape = slice?.op === 'StridedSlice' ? nodes.get(inputsOf(slice)[0].split(':')[0]) : undefined;
    if (!mul || !slice || shape?.op !== 'Shape' || inputsOf(shape)[0] !== x) throw new ConversionError(`node ${node.name} (${node.op}) computes its size in a way the converter does not support; only constant sizes and Shape(x)[1:3] × k are`);
    const [begin, end] = inputsOf(slice).slice(1, 3).map((r) => Array.from(constOf(slice, r, 'slice bound').data));
    const factor = Array.from(constOf(mul, factorRef, 'factor').data);
    if (begin[0] !== 1 || end[0] !== 3 || factor.length !== 2) throw new ConversionError(`node ${node.name} (${node.op}) resizes by an unsupported size expression`);
    return [factor[0], factor[1]];
  }

  function resize(node: TfNode): string {
    const [x, sizeRef] = inputsOf(node);
    const alignCorners = node.attr?.align_corners?.b === true;
    const halfPixel = node.attr?.half_pixel_centers?.b === true;
    const mode = alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric';
    const attrs = { mode: S('linear'), coordinate_transformation_mode: S(mode), axes: INTS([2, 3]) };
    if (nodes.get(sizeRef.split(':')[0])?.op === 'Const') return g.op('Resize', [tensorOf(node, x), '', '', g.int64(Array.from(constOf(node, sizeRef, 'size').data))], attrs);
    const [fy, fx] = upsamplingFactor(node, x, sizeRef);
    return g.op('Resize', [tensorOf(node, x), '', g.weight([fy, fx], [2], 'scales')], attrs);
  }

  function pool(node: TfNode, op: 'AveragePool' | 'MaxPool'): string {
    checkNhwc(node);
    const [kh, kw] = spatial(node, 'ksize', 1);
    const [sh, sw] = spatial(node, 'strides', 1);
    const attrs = { kernel_shape: INTS([kh, kw]), strides: INTS([sh, sw]), ...(op === 'AveragePool' ? { count_include_pad: I(0) } : {}) };
    return g.op(op, [tensorOf(node, inputsOf(node)[0])], padding(node) === 'SAME' ? { ...attrs, auto_pad: S('SAME_UPPER') } : { ...attrs, pads: INTS([0, 0, 0, 0]) });
  }

  function convertNode(node: TfNode): Value {
    const ins = inputsOf(node);
    const tensor = (name: string): Value => ({ kind: 'tensor', name });
    switch (node.op) {
      case 'Const': {
        const data = weights.get(node.name);
        if (!data) throw new ConversionError(`constant ${node.name} is not in the weights manifest`);
        return { kind: 'const', data };
      }
      case 'Placeholder': {
        if (node.name !== spec.input) throw new ConversionError(`the outputs depend on placeholder ${node.name}; only ${spec.input} is converted`);
        const input = g.input('image', 'float32', [1, 'height', 'width', spec.channels]);
        return tensor(g.op('Transpose', [input], { perm: INTS([0, 3, 1, 2]) }));
      }
      case 'Identity':
        return value(ins[0]);
      case 'Cast': {
        if (node.attr?.DstT?.type !== 'DT_FLOAT') throw new ConversionError(`node ${node.name} casts to ${String(node.attr?.DstT?.type)}; only casts to float are supported`);
        return value(ins[0]);
      }
      case 'Conv2D':
      case '_FusedConv2D':
        return tensor(conv(node, false));
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative':
        return tensor(conv(node, true));
      case 'Conv2DBackpropInput':
        return tensor(transposedConv(node));
      case 'Add':
      case 'AddV2':
        return binary(node, 'Add');
      case 'Sub':
        return binary(node, 'Sub');
      case 'Mul':
        return binary(node, 'Mul');
      case 'RealDiv':
        return binary(node, 'Div');
      case 'AddN':
        return tensor(ins.map((r) => tensorOf(node, r)).reduce((a, b) => g.op('Add', [a, b])));
      case 'Relu':
      case 'Relu6':
        return tensor(activate(node, tensorOf(node, ins[0]), [node.op]));
      case 'Sigmoid':
        return tensor(g.op('Sigmoid', [tensorOf(node, ins[0])]));
      case 'ResizeBilinear':
        return tensor(resize(node));
      case 'AvgPool':
        return tensor(pool(node, 'AveragePool'));
      case 'MaxPool':
        return tensor(pool(node, 'MaxPool'));
      default:
        throw new ConversionError(`node ${node.name} is a ${node.op}, which the converter does not support`);
    }
  }

  function value(ref: string): Value {
    const [name, index] = ref.split(':');
    if (index !== undefined && index !== '0') throw new ConversionError(`${ref} reads output ${index} of ${name}; only first outputs are supported`);
    const done = converted.get(name);
    if (done) return done;
    const node = nodes.get(name);
    if (!node) throw new ConversionError(`the graph has no node ${name}`);
    if (visiting.has(name)) throw new ConversionError(`node ${name} is part of a cycle`);
    visiting.add(name);
    const v = convertNode(node);
    visiting.delete(name);
    converted.set(name, v);
    return v;
  }

  for (const [output, nodeName] of Object.entries(spec.outputs)) {
    const v = value(nodeName);
    if (v.kind !== 'tensor') throw new ConversionError(`output ${output} (${nodeName}) is a constant`);
    g.op('Identity', [v.name], {}, output);
    g.output(output, 'float32', null);
  }
  return g.encode(18);
}
