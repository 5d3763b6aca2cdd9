/**
 * The test double's executor: runs a validated prompt node by node (dependencies first, as ComfyUI's
 * ExecutionList does) and produces deterministic images, so tests can check what was asked:
 * a generated pixel is `expectedPixel(seed, x, y, width, height)`; where a source image is kept (outside
 * an inpaint mask, or blended by denoise < 1) its low bit is flipped, like a lossy VAE round trip.
 */
import sharp from 'sharp';
import type { Prompt } from './validatePrompt';

export interface Img {
  readonly width: number;
  readonly height: number;
  /** RGB u8 interleaved. */
  readonly rgb: Uint8Array;
}
export interface Mask {
  readonly width: number;
  readonly height: number;
  /** 0…1, 1 = repaint. */
  readonly data: Float32Array;
}

type Value =
  | { readonly kind: 'model' | 'clip' | 'vae'; readonly checkpoint: string; readonly loras: readonly string[] }
  | { readonly kind: 'cond'; readonly text: string; readonly controls: readonly string[] }
  | { readonly kind: 'latent'; readonly width: number; readonly height: number; readonly source?: Img; readonly mask?: Mask; readonly seed?: number; readonly denoise?: number }
  | { readonly kind: 'image'; readonly image: Img }
  | { readonly kind: 'mask'; readonly mask: Mask }
  | { readonly kind: 'controlnet'; readonly name: string }
  | { readonly kind: 'upscaler'; readonly name: string; readonly scale: number };

/** Raised by a node; becomes `execution_error` (or `execution_interrupted` for Interrupted). */
export class NodeFailure extends Error {
  constructor(readonly exceptionType: string, message: string) {
    super(message);
  }
}
export class Interrupted extends Error {}

export interface ExecHooks {
  /** Before each node: `executing`. */
  executing(nodeId: string): void;
  /** Each sampler step: `progress` and a preview. */
  step(nodeId: string, value: number, max: number, preview: Img): Promise<void>;
  /** Throws Interrupted when an interrupt was requested. */
  checkInterrupt(): void;
  readInput(name: string): Uint8Array | undefined;
  saveOutput(prefix: string, png: Uint8Array): { filename: string; subfolder: string; type: 'output' };
  /** Fault: throw NodeFailure in this node class. */
  readonly failClass?: { readonly classType: string; readonly exceptionType: string; readonly message: string };
  /** UpscaleModelLoader's folder: a v3 combo is not checked by validation, so a missing file fails here. */
  readonly upscaleModels: readonly string[];
  /** Fault: what SaveImage writes instead of the real PNG. */
  readonly resultImage?: (png: Uint8Array, image: Img) => Promise<Uint8Array>;
}

/** The colour the double paints at (x, y) for a seed: red and green ramps, blue = seed's low byte. */
export function expectedPixel(seed: number, x: number, y: number, width: number, height: number): [number, number, number] {
  return [Math.round((255 * x) / Math.max(1, width - 1)), Math.round((255 * y) / Math.max(1, height - 1)), seed & 255];
}

async function decodeUpload(bytes: Uint8Array): Promise<{ image: Img; alpha?: Uint8Array; rgba: Uint8Array }> {
  const { data, info } = await sharp(bytes).rotate().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const rgb = new Uint8Array(info.width * info.height * 3);
  const alpha = new Uint8Array(info.width * info.height);
  let opaque = true;
  for (let i = 0; i < info.width * info.height; i++) {
    rgb.set(data.subarray(i * 4, i * 4 + 3), i * 3);
    alpha[i] = data[i * 4 + 3];
    if (alpha[i] !== 255) opaque = false;
  }
  return { image: { width: info.width, height: info.height, rgb }, alpha: opaque ? undefined : alpha, rgba: new Uint8Array(data) };
}

function maskAt(mask: Mask, x: number, y: number, width: number, height: number): number {
  const mx = Math.min(mask.width - 1, Math.floor((x * mask.width) / width));
  const my = Math.min(mask.height - 1, Math.floor((y * mask.height) / height));
  return mask.data[my * mask.width + mx];
}

/** VAEDecode of a sampled latent. */
function decodeLatent(latent: Extract<Value, { kind: 'latent' }>): Img {
  const { width, height, source, mask } = latent;
  const seed = latent.seed ?? 0;
  const denoise = latent.denoise ?? 1;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const gen = expectedPixel(seed, x, y, width, height);
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        if (!source) {
          rgb[i + c] = gen[c];
          continue;
        }
        const kept = source.rgb[i + c] ^ 1;
        const repaint = mask ? maskAt(mask, x, y, width, height) >= 0.5 : true;
        rgb[i + c] = repaint ? Math.round((1 - denoise) * kept + denoise * gen[c]) : kept;
      }
    }
  }
  return { width, height, rgb };
}

function previewOf(width: number, height: number, seed: number, step: number): Img {
  // Latent-sized, like ComfyUI's latent2rgb previews (1/8 of the output per side).
  const w = Math.max(1, Math.round(width / 8));
  const h = Math.max(1, Math.round(height / 8));
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) rgb.set([(i * 7 + step * 13) & 255, (seed + step) & 255, 128], i * 3);
  return { width: w, height: h, rgb };
}

function padForOutpaint(image: Img, left: number, top: number, right: number, bottom: number, feathering: number): [Img, Mask] {
  const width = image.width + left + right;
  const height = image.height + top + bottom;
  const rgb = new Uint8Array(width * height * 3).fill(128);
  const mask = new Float32Array(width * height).fill(1);
  for (let y = 0; y < image.height; y++) {
    rgb.set(image.rgb.subarray(y * image.width * 3, (y + 1) * image.width * 3), ((y + top) * width + left) * 3);
    for (let x = 0; x < image.width; x++) {
      const d = Math.min(top ? y : image.height, bottom ? image.height - y : image.height, left ? x : image.width, right ? image.width - x : image.width);
      const feathered = feathering > 0 && feathering * 2 < image.height && feathering * 2 < image.width && d < feathering;
      mask[(y + top) * width + x + left] = feathered ? ((feathering - d) / feathering) ** 2 : 0;
    }
  }
  return [{ width, height, rgb }, { width, height, data: mask }];
}

function upscaleNearest(image: Img, scale: number): Img {
  const width = image.width * scale;
  const height = image.height * scale;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgb.set(image.rgb.subarray(((Math.floor(y / scale) * image.width) + Math.floor(x / scale)) * 3, ((Math.floor(y / scale) * image.width) + Math.floor(x / scale)) * 3 + 3), (y * width + x) * 3);
  }
  return { width, height, rgb };
}

/** Runs the prompt for `outputs`; returns each output node's UI output (`{ images: [...] }`). */
export async function executePrompt(prompt: Prompt, outputs: readonly string[], hooks: ExecHooks): Promise<{ ui: Record<string, { images: unknown[] }>; executed: string[] }> {
  const results = new Map<string, Value[]>();
  const ui: Record<string, { images: unknown[] }> = {};
  const executed: string[] = [];

  const run = async (id: string): Promise<Value[]> => {
    const cached = results.get(id);
    if (cached) return cached;
    const node = prompt[id];
    const raw = node.inputs ?? {};
    const args: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(raw)) {
      args[name] = Array.isArray(value) ? (await run(String(value[0])))[Number(value[1])] : value;
    }
    hooks.checkInterrupt();
    hooks.executing(id);
    const classType = String(node.class_type);
    if (hooks.failClass?.classType === classType) throw new NodeFailure(hooks.failClass.exceptionType, hooks.failClass.message);
    const value = await evaluate(id, classType, args);
    results.set(id, value);
    executed.push(id);
    return value;
  };

  const evaluate = async (id: string, classType: string, a: Record<string, unknown>): Promise<Value[]> => {
    switch (classType) {
      case 'CheckpointLoaderSimple': {
        const base = { checkpoint: String(a.ckpt_name), loras: [] };
        return [{ kind: 'model', ...base }, { kind: 'clip', ...base }, { kind: 'vae', ...base }];
      }
      case 'LoraLoader': {
        const m = a.model as { checkpoint: string; loras: readonly string[] };
        const loras = [...m.loras, `${String(a.lora_name)}:${String(a.strength_model)}`];
        return [{ kind: 'model', checkpoint: m.checkpoint, loras }, { kind: 'clip', checkpoint: m.checkpoint, loras }];
      }
      case 'CLIPTextEncode':
        return [{ kind: 'cond', text: String(a.text), controls: [] }];
      case 'ControlNetLoader':
        return [{ kind: 'controlnet', name: String(a.control_net_name) }];
      case 'ControlNetApplyAdvanced': {
        const tag = `${(a.control_net as { name: string }).name}@${String(a.strength)}:${String(a.start_percent)}-${String(a.end_percent)}`;
        const add = (c: unknown): Value => ({ ...(c as Extract<Value, { kind: 'cond' }>), controls: [...(c as Extract<Value, { kind: 'cond' }>).controls, tag] });
        return [add(a.positive), add(a.negative)];
      }
      case 'EmptyLatentImage':
        return [{ kind: 'latent', width: Number(a.width), height: Number(a.height) }];
      case 'LoadImage': {
        const bytes = hooks.readInput(String(a.image));
        if (!bytes) throw new NodeFailure('FileNotFoundError', `[Errno 2] No such file or directory: '${String(a.image)}'`);
        const { image, alpha } = await decodeUpload(bytes);
        const mask: Mask = alpha ? { width: image.width, height: image.height, data: Float32Array.from(alpha, (v) => 1 - v / 255) } : { width: 64, height: 64, data: new Float32Array(64 * 64) };
        return [{ kind: 'image', image }, { kind: 'mask', mask }];
      }
      case 'LoadImageMask': {
        const bytes = hooks.readInput(String(a.image));
        if (!bytes) throw new NodeFailure('FileNotFoundError', `[Errno 2] No such file or directory: '${String(a.image)}'`);
        const { image, rgba } = await decodeUpload(bytes);
        const channel = ['red', 'green', 'blue', 'alpha'].indexOf(String(a.channel));
        const data = new Float32Array(image.width * image.height);
        for (let i = 0; i < data.length; i++) data[i] = channel === 3 ? 1 - rgba[i * 4 + 3] / 255 : rgba[i * 4 + channel] / 255;
        return [{ kind: 'mask', mask: { width: image.width, height: image.height, data } }];
      }
      case 'VAEEncode': {
        const image = (a.pixels as Extract<Value, { kind: 'image' }>).image;
        // ComfyUI crops to multiples of 8 before encoding.
        return [{ kind: 'latent', width: image.width - (image.width % 8), height: image.height - (image.height % 8), source: image }];
      }
      case 'SetLatentNoiseMask':
        return [{ ...(a.samples as Extract<Value, { kind: 'latent' }>), mask: (a.mask as Extract<Value, { kind: 'mask' }>).mask }];
      case 'ImagePadForOutpaint': {
        const [image, mask] = padForOutpaint((a.image as Extract<Value, { kind: 'image' }>).image, Number(a.left), Number(a.top), Number(a.right), Number(a.bottom), Number(a.feathering));
        return [{ kind: 'image', image }, { kind: 'mask', mask }];
      }
      case 'KSampler': {
        const latent = a.latent_image as Extract<Value, { kind: 'latent' }>;
        const steps = Number(a.steps);
        const seed = Number(a.seed);
        for (let step = 1; step <= steps; step++) {
          await hooks.step(id, step, steps, previewOf(latent.width, latent.height, seed, step));
        }
        return [{ ...latent, seed, denoise: Number(a.denoise) }];
      }
      case 'VAEDecode':
        return [{ kind: 'image', image: decodeLatent(a.samples as Extract<Value, { kind: 'latent' }>) }];
      case 'UpscaleModelLoader': {
        const name = String(a.model_name);
        if (!hooks.upscaleModels.includes(name)) throw new NodeFailure('FileNotFoundError', `Model in folder 'upscale_models' with filename '${name}' not found.`);
        return [{ kind: 'upscaler', name, scale: Number(/(\d+)x/i.exec(name)?.[1] ?? 4) }];
      }
      case 'ImageUpscaleWithModel': {
        const upscaler = a.upscale_model as Extract<Value, { kind: 'upscaler' }>;
        return [{ kind: 'image', image: upscaleNearest((a.image as Extract<Value, { kind: 'image' }>).image, upscaler.scale) }];
      }
      case 'SaveImage': {
        const image = (a.images as Extract<Value, { kind: 'image' }>).image;
        const png = new Uint8Array(await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } }).png({ compressionLevel: 4 }).toBuffer());
        const stored = hooks.saveOutput(String(a.filename_prefix), hooks.resultImage ? await hooks.resultImage(png, image) : png);
        ui[id] = { images: [stored] };
        return [];
      }
      default:
        throw new NodeFailure('KeyError', `the test double cannot run ${classType}`);
    }
  };

  for (const o of outputs) await run(o);
  return { ui, executed };
}
