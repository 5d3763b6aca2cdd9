/**
 * Converts a TensorFlow.js *layers* model (Keras functional config + weight shards) to ONNX, for the
 * ESRGAN/RDN upscalers that @upscalerjs packages ship. Supported: Conv2D (any odd kernel, stride 1,
 * "same"/"valid", linear or relu), Activation (relu), Concatenate, Add, UpSampling2D (nearest).
 * Keras works in NHWC; the ONNX graph works in NCHW: kernels go from [kh, kw, in, out] to
 * [out, in, kh, kw] and channel concatenation moves from axis 3 to axis 1.
 * The graph takes `LR` [1, 3, H, W] and returns `SR` [1, 3, sH, sW], in the model's own value range.
 */
import { Graph, I, INTS, S, type EncodedModel } from './onnxGraph';
import { ConversionError, hwioToOihw, readWeights, type WeightData, type WeightsGroup } from './tfjsWeights';

export { ConversionError };

export interface LayersModelJson {
  readonly format?: string;
  readonly modelTopology: { readonly model_config: { readonly class_name: string; readonly config: FunctionalConfig } };
  readonly weightsManifest: readonly WeightsGroup[];
}

interface FunctionalConfig {
  readonly layers: readonly KerasLayer[];
  readonly input_layers: readonly (readonly [string, number, number])[];
  readonly output_layers: readonly (readonly [string, number, number])[];
}

interface KerasLayer {
  readonly class_name: string;
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly inbound_nodes: readonly (readonly (readonly [string, number, number, unknown])[])[];
}

function inputsOf(layer: KerasLayer): string[] {
  if (layer.inbound_nodes.length !== 1) throw new ConversionError(`layer ${layer.name} is called ${layer.inbound_nodes.length} times; shared layers are not supported`);
  return layer.inbound_nodes[0].map(([name, nodeIndex, tensorIndex]) => {
    if (nodeIndex !== 0 || tensorIndex !== 0) throw new ConversionError(`layer ${layer.name} reads output ${tensorIndex} of call ${nodeIndex} of ${name}; only single-output layers are supported`);
    return name;
  });
}

function weight(weights: Map<string, WeightData>, name: string): { shape: readonly number[]; data: Float32Array } {
  const w = weights.get(name);
  if (!w) throw new ConversionError(`the weights have no ${name}`);
  if (w.dtype !== 'float32') throw new ConversionError(`weight ${name} is ${w.dtype}; expected float32`);
  return w;
}

function activation(g: Graph, value: string, kind: unknown, layer: string): string {
  if (kind === 'linear' || kind === undefined) return value;
  if (kind === 'relu') return g.op('Relu', [value]);
  throw new ConversionError(`layer ${layer} uses activation ${String(kind)}; only linear and relu are supported`);
}

function conv(g: Graph, layer: KerasLayer, input: string, weights: Map<string, WeightData>): string {
  const c = layer.config;
  const [kh, kw] = c.kernel_size as number[];
  const strides = c.strides as number[];
  const dilation = c.dilation_rate as number[];
  if (strides.some((s) => s !== 1) || dilation.some((d) => d !== 1) || (c.groups ?? 1) !== 1) throw new ConversionError(`layer ${layer.name}: only stride 1, dilation 1, one group is supported`);
  if (c.data_format !== undefined && c.data_format !== 'channels_last') throw new ConversionError(`layer ${layer.name}: data_format ${String(c.data_format)} is not supported`);
  if (c.padding === 'same' && (kh % 2 === 0 || kw % 2 === 0)) throw new ConversionError(`layer ${layer.name}: "same" padding with an even kernel is not supported`);
  if (c.padding !== 'same' && c.padding !== 'valid') throw new ConversionError(`layer ${layer.name}: padding ${String(c.padding)} is not supported`);
  const kernel = weight(weights, `${layer.name}/kernel`);
  const inputs = [input, g.weight(hwioToOihw(kernel.data, kernel.shape), [kernel.shape[3], kernel.shape[2], kh, kw], 'kernel')];
  if (c.use_bias !== false) inputs.push(g.weight(weight(weights, `${layer.name}/bias`).data, [kernel.shape[3]], 'bias'));
  const pad = c.padding === 'same' ? [Math.floor(kh / 2), Math.floor(kw / 2), Math.floor(kh / 2), Math.floor(kw / 2)] : [0, 0, 0, 0];
  return activation(g, g.op('Conv', inputs, { kernel_shape: INTS([kh, kw]), pads: INTS(pad) }), c.activation, layer.name);
}

export interface ConvertedModel {
  readonly encoded: EncodedModel;
  /**
   * How far (in input pixels) an output pixel can see: the longest chain of kernel radii, with the
   * convolutions after upsampling counted at their smaller input-pixel size. Tiles need this margin.
   */
  readonly receptiveRadius: number;
}

export function convertLayersModel(model: LayersModelJson, readShard: (path: string) => Uint8Array): ConvertedModel {
  const topology = model.modelTopology.model_config;
  if (topology.class_name !== 'Functional' && topology.class_name !== 'Model') throw new ConversionError(`model class ${topology.class_name} is not supported; expected a functional Keras model`);
  const { layers, input_layers: inputLayers, output_layers: outputLayers } = topology.config;
  if (inputLayers.length !== 1 || outputLayers.length !== 1) throw new ConversionError('only single-input, single-output models are supported');
  const weights = readWeights(model.weightsManifest, readShard);
  const g = new Graph();
  const values = new Map<string, string>();
  const radius = new Map<string, number>();
  const upscaled = new Map<string, number>();
  const reach = (layer: KerasLayer): { r: number; up: number } => {
    const names = inputsOf(layer);
    return { r: Math.max(0, ...names.map((n) => radius.get(n) ?? 0)), up: Math.max(1, ...names.map((n) => upscaled.get(n) ?? 1)) };
  };
  const one = (layer: KerasLayer): string => {
    const [name] = inputsOf(layer);
    const v = values.get(name);
    if (!v) throw new ConversionError(`layer ${layer.name} reads ${name} before it is defined`);
    return v;
  };
  const all = (layer: KerasLayer): string[] => inputsOf(layer).map((n) => values.get(n) ?? '').map((v, i) => {
    if (!v) throw new ConversionError(`layer ${layer.name} reads ${inputsOf(layer)[i]} before it is defined`);
    return v;
  });
  for (const layer of layers) {
    if (layer.class_name !== 'InputLayer') {
      const { r, up } = reach(layer);
      const kernel = layer.class_name === 'Conv2D' ? Math.max(...(layer.config.kernel_size as number[])) : 1;
      const factor = layer.class_name === 'UpSampling2D' ? Math.max(...(layer.config.size as number[])) : 1;
      radius.set(layer.name, r + (kernel - 1) / 2 / up);
      upscaled.set(layer.name, up * factor);
    }
    switch (layer.class_name) {
      case 'InputLayer': {
        const shape = layer.config.batch_input_shape as (number | null)[];
        if (shape.length !== 4 || shape[3] !== 3) throw new ConversionError(`input ${layer.name} has shape ${JSON.stringify(shape)}; expected [batch, height, width, 3]`);
        values.set(layer.name, g.input('LR', 'float32', [1, 3, 'height', 'width']));
        break;
      }
      case 'Conv2D':
        values.set(layer.name, conv(g, layer, one(layer), weights));
        break;
      case 'Activation':
        values.set(layer.name, activation(g, one(layer), layer.config.activation, layer.name));
        break;
      case 'Concatenate': {
        const axis = layer.config.axis as number;
        if (axis !== 3 && axis !== -1) throw new ConversionError(`layer ${layer.name} concatenates on axis ${axis}; only the channel axis is supported`);
        values.set(layer.name, g.op('Concat', all(layer), { axis: I(1) }));
        break;
      }
      case 'Add':
        values.set(layer.name, all(layer).reduce((a, b) => g.op('Add', [a, b])));
        break;
      case 'UpSampling2D': {
        const [sy, sx] = layer.config.size as number[];
        if (layer.config.interpolation !== undefined && layer.config.interpolation !== 'nearest') throw new ConversionError(`layer ${layer.name} upsamples with ${String(layer.config.interpolation)}; only nearest is supported`);
        values.set(layer.name, g.op('Resize', [one(layer), '', g.weight([1, 1, sy, sx], [4], 'scales')], { mode: S('nearest'), coordinate_transformation_mode: S('asymmetric'), nearest_mode: S('floor') }));
        break;
      }
      default:
        throw new ConversionError(`layer ${layer.name} is a ${layer.class_name}, which the converter does not support`);
    }
  }
  const output = values.get(outputLayers[0][0]);
  if (!output) throw new ConversionError(`the output layer ${outputLayers[0][0]} was never defined`);
  g.op('Identity', [output], {}, 'SR');
  g.output('SR', 'float32', [1, 3, 'out_height', 'out_width']);
  return { encoded: g.encode(17), receptiveRadius: radius.get(outputLayers[0][0]) ?? 0 };
}
