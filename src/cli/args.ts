/** Command-line parsing for `atelier` (node:util parseArgs, strict: unknown flags are errors). */
import { MODEL_DEFAULTABLE, type ModelDefaultable } from '../shared/samplingDefaults';
import { parseArgs } from 'node:util';
import { CONTROL_TYPES, EXECUTION_PROVIDERS, SAMPLER_NAMES, UPSCALE_FACTORS, UPSCALER_MODELS, type ControlType, type ExecutionProviderPreference, type SamplerName, type UpscaleFactor, type UpscalerModel } from '../shared/request';

export class UsageError extends Error {}

export const USAGE = `Usage:
  atelier generate "<prompt>" [options]     generate an image (PNG, JPEG or WebP with its parameters)
  atelier upscale <file> [--scale 2|3|4|8] [--model slim|medium] [--out f.png|dir/] [--json]
                                            upscale with a built-in ESRGAN model (default 2×, slim);
                                            the result is <name>@<scale>x.png beside the file
  atelier upscale <file> --comfyui <url> --model <upscale model as the server lists it> [--out f]
                                            upscale on a ComfyUI server (the model sets the scale)
  atelier detect pose|person <file> [--out f]
                                            built-in detectors: people as OpenPose JSON (<name>.pose.json)
                                            or a person mask (<name>.mask.png), the canvas's layer files
  atelier build [recipes or folders…] [--check | --dry-run] [--force] [-j N] [--json] [--root <dir>]
                                            make every image whose recipe (<name>.atelier.json) or inputs
                                            changed; atelier.lock.json records what was built. --check:
                                            exit 1 if anything is stale or missing, generate nothing (CI);
                                            --dry-run: list the work; --force: remake even up-to-date or
                                            hand-edited images; -j N: derived files encoded N at a time
                                            (generation runs in order on one warm worker)
  atelier tokenize --tokenizer <dir> "<text>"  print {"ids":[…],"count":N} for a CLIP tokenizer
  atelier models list [--json]              models in the Hugging Face cache, and the catalogue
  atelier models list --comfyui <url>       what a ComfyUI server offers: checkpoints, ControlNets, LoRAs,
                                            upscale models, samplers (also $ATELIER_COMFYUI_URL; a token
                                            for ComfyUI-Login or a proxy from $ATELIER_COMFYUI_TOKEN)
  atelier models pull <org/name[@rev]> [--connect-timeout <s>] [--idle-timeout <s>]
                                            download (resumable, verified) into the Hugging Face cache;
                                            fails when the Hub does not answer within 30 s or sends
                                            under 1 KiB in 60 s (defaults; also ATELIER_CONNECT_TIMEOUT,
                                            ATELIER_IDLE_TIMEOUT)
  atelier models path <org/name[@rev]>      print the folder of a cached model (for --model)
  atelier models rm <org/name[@rev]>        delete a cached model (files shared with another revision stay)

generate options:
  --model <dir|file>    ONNX model folder, or a .safetensors checkpoint (SD 1.x/2.x/SDXL, A1111/civitai
                        single file) that Atelier converts once into a cached ONNX folder
                        ($XDG_CACHE_HOME/atelier/converted) (default: $ATELIER_MODEL, else the built-in demo model);
                        with --comfyui, the checkpoint as the server lists it (atelier models list --comfyui)
  --comfyui <url>       run on a ComfyUI server (also $ATELIER_COMFYUI_URL; token from $ATELIER_COMFYUI_TOKEN):
                        txt2img, --init-image, --mask (--only-masked), --outpaint, --control with
                        --controlnet <type>=<server ControlNet>, --lora; Ctrl-C cancels the job on the server
  --out <file|dir/>     output file: .png, .jpg/.jpeg or .webp picks the format (parameters in PNG
                        text or JPEG/WebP EXIF); a folder (trailing / or existing) gets the default
                        name; an existing file is never overwritten (a -1, -2 … suffix is added)
  --prompt-file <file>  read the prompt from a UTF-8 text file instead of the argument
  --negative <text>     negative prompt
  --steps <n>           denoising steps (default 20)
  --guidance <g>        classifier-free guidance scale (default 7.5; 0–1 disables CFG)
  --seed <n>            0…4294967295; --seed=-1 or none: random
  --width <px> --height <px>   multiples of 8 (default 512×512; not of 64: generated larger, centre-cropped)
  --sampler <name>      ${SAMPLER_NAMES.join(' | ')}
  --provider <name>     ${EXECUTION_PROVIDERS.join(' | ')} (default auto)
  --init-image <file>   img2img: start from this image (PNG, JPEG, WebP; first frame of GIF, TIFF,
                        AVIF; EXIF orientation applied); the output has exactly its size
  --full-size           with --init-image: generate at the image's own size (default: images above
                        1.5× the model's native pixel count, e.g. 768×512, are scaled down for the
                        model and the result scaled back, with a notice)
  --strength <s>        img2img: 0 keeps the image, 1 ignores it (default 0.6; 1 with --mask)
  --mask <file>         inpaint (with --init-image): repaint where the mask is white; the rest stays bit-exact
  --mask-blur <px>      feather of the seam, inside the mask (default 4; it reaches 3× this far in)
  --outpaint <l,r,t,b>  outpaint (with --init-image): grow each side by this many pixels
  --outpaint-fill <f>   edge | noise: how the new area starts (default edge)
  --only-masked         inpaint only the mask's area (plus --mask-padding), at the model's native size
  --mask-padding <px>   context around the mask for --only-masked (default 32)
  --control <type>=<file>[:scale[:start:end]]
                        ControlNet input (repeatable): ${CONTROL_TYPES.filter((t) => t !== 'other').join(' | ')};
                        scale default 1, start/end are fractions of the steps (default 0:1)
  --controlnet <type>=<dir>   the ControlNet folder for a type (else found under --controlnets); with
                        --comfyui, the ControlNet as the server lists it
  --lora <name>[:weight]   a .safetensors LoRA file (kohya or diffusers/PEFT) merged into a .safetensors
                        --model when it is converted (each combination is cached); with --comfyui, a LoRA
                        as the server lists it; weight default 1 (repeatable, applied in order)
  --lora-dir <dir>      folder of .safetensors LoRAs that <lora:name:weight> in the prompt names (A1111
                        syntax; merged like --lora; repeatable; also $ATELIER_LORA_DIRS)
  --controlnets <dir>   folder of ControlNets found by type, e.g. SD/Depth (repeatable; $ATELIER_CONTROLNETS)
  --int8                on the CPU, run the UNet with its MatMul weights in int8 (faster steps, small
                        quality cost; made from the fp32 graph once and cached; also ATELIER_UNET_INT8=1)
  --prediction <type>   epsilon | v_prediction: override what a .safetensors checkpoint implies (SD 2.x 768-v)
  --no-metadata         do not write the parameters into the image
  --recipe              also write <name>.atelier.json beside the image (the job as data, for atelier build)
  --json                print one JSON object on stdout: the file, size, seed, steps, sampler, provider,
                        model and recipe (errors too: {"error": {"code", "message"}}); for scripts and agents
`;

export interface GenerateArgs {
  readonly command: 'generate';
  readonly prompt?: string;
  readonly promptFile?: string;
  readonly model?: string;
  /** A ComfyUI server to run on (else the local pipeline; $ATELIER_COMFYUI_URL is read by main). */
  readonly comfyui?: string;
  readonly out?: string;
  readonly negative: string;
  readonly steps: number;
  readonly guidance: number;
  /** What the user left to the defaults (no --sampler, --steps, --guidance): a Turbo or LCM model fills them with its own. */
  readonly modelDefaults: readonly ModelDefaultable[];
  readonly seed?: number;
  readonly width: number;
  readonly height: number;
  readonly sampler: SamplerName;
  readonly provider: ExecutionProviderPreference;
  readonly metadata: boolean;
  readonly initImage?: string;
  readonly strength: number;
  readonly mask?: string;
  readonly maskBlur: number;
  readonly outpaint?: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
  readonly outpaintFill: 'edge' | 'noise';
  readonly onlyMasked?: { readonly padding: number };
  /** --full-size: generate an init image at its own size instead of the model's pixel budget. */
  readonly fullSize: boolean;
  readonly controls: readonly ControlArg[];
  readonly controlNetRoots: readonly string[];
  /** --recipe: write <name>.atelier.json beside the image. */
  readonly recipe: boolean;
  /** --json: one JSON object on stdout (the file, its parameters), errors too. */
  readonly json: boolean;
  /** --lora name[:weight]: a .safetensors file merged when a .safetensors --model is converted, or a server LoRA with --comfyui. */
  readonly loras: readonly { readonly name: string; readonly weight: number }[];
  /** --lora-dir: folders where `<lora:name:weight>` prompt tags are looked up (with $ATELIER_LORA_DIRS). */
  readonly loraDirs: readonly string[];
  /** On the CPU, run the UNet with int8 MatMul weights (made once from the fp32 graph and cached). */
  readonly int8: boolean;
  readonly prediction?: 'epsilon' | 'v_prediction';
}

/** A local --lora must be a .safetensors file: .ckpt/.pt LoRAs are pickles and never loaded. */
export function localLoraFile(name: string): string {
  if (!/\.safetensors$/i.test(name)) throw new UsageError(`--lora ${JSON.stringify(name)}: a LoRA must be a .safetensors file (kohya or diffusers format); .ckpt/.pt LoRAs are pickles and never loaded`);
  return name;
}

export interface ControlArg {
  readonly type: ControlType;
  readonly file: string;
  readonly scale: number;
  readonly start: number;
  readonly end: number;
  readonly controlNetDir?: string;
}

function controlType(flag: string, raw: string, text: string): ControlType {
  if ((CONTROL_TYPES as readonly string[]).includes(raw)) return raw as ControlType;
  throw new UsageError(`--${flag} ${JSON.stringify(text)}: the type must be one of ${CONTROL_TYPES.join(', ')}, got ${JSON.stringify(raw)}`);
}

/** Decimal numbers only: no hex (0x10), no NaN or Infinity, no empty string. */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
const DECIMAL_INTEGER = /^[-+]?\d+$/;
/** A part that was meant as a number (so a bad one is an error, not part of a file name). */
const NUMBER_LIKE = /^[-+]?([\d.]*\d[\d.]*(e[-+]?\d+)?|nan|inf(inity)?|0x[0-9a-f]+)$/i;

/**
 * `depth=f.png`, `depth=f.png:0.8` or `depth=f.png:0.8:0:0.6`. Numbers are taken from the right, so paths
 * may hold colons; a trailing part that looks like a number but is not a decimal one (NaN, 1.2.3, 0x1)
 * is refused rather than read as part of the file name.
 */
export function parseControl(text: string): Omit<ControlArg, 'controlNetDir'> {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--control takes <type>=<file>[:scale[:start:end]], got ${JSON.stringify(text)}`);
  const type = controlType('control', text.slice(0, eq), text);
  const parts = text.slice(eq + 1).split(':');
  const tail: string[] = [];
  while (tail.length < 3 && parts.length > 1 && NUMBER_LIKE.test(parts[parts.length - 1].trim())) tail.unshift((parts.pop() ?? '').trim());
  const file = parts.join(':');
  if (file === '') throw new UsageError(`--control ${JSON.stringify(text)} names no image file`);
  if (tail.length === 2) throw new UsageError(`--control ${JSON.stringify(text)}: give the scale before start:end, as <type>=<file>[:scale[:start:end]]`);
  const names = tail.length === 1 ? ['scale'] : ['scale', 'start', 'end'];
  const numbers = tail.map((raw, i) => {
    if (!DECIMAL.test(raw)) throw new UsageError(`--control ${JSON.stringify(text)}: the ${names[i]} ${JSON.stringify(raw)} is not a decimal number`);
    return Number(raw);
  });
  const [scale = 1, start = 0, end = 1] = numbers;
  return { type, file, scale, start, end };
}

export interface TokenizeArgs {
  readonly command: 'tokenize';
  readonly tokenizer: string;
  readonly text: string;
}

export interface UpscaleArgs {
  readonly command: 'upscale';
  readonly file: string;
  readonly scale: UpscaleFactor;
  readonly model: UpscalerModel;
  /** With a ComfyUI server: its upscale model, by the name it lists. */
  readonly comfy?: { readonly url?: string; readonly model: string };
  readonly out?: string;
  readonly provider: ExecutionProviderPreference;
  readonly metadata: boolean;
  readonly json?: boolean;
}

export interface DetectArgs {
  readonly command: 'detect';
  readonly what: 'pose' | 'person';
  readonly file: string;
  readonly out?: string;
  readonly provider: ExecutionProviderPreference;
}

export interface BuildArgs {
  readonly command: 'build';
  /** Recipe files or folders (default: the workspace root). */
  readonly paths: readonly string[];
  readonly root?: string;
  readonly mode: 'build' | 'check' | 'dry-run';
  readonly force: boolean;
  /** Derived files encoded at once (generation itself always runs in order on one warm worker). */
  readonly jobs: number;
  readonly json: boolean;
  readonly provider: ExecutionProviderPreference;
  readonly comfyui?: string;
  readonly metadata: boolean;
}

export type CliArgs = GenerateArgs | TokenizeArgs | UpscaleArgs | DetectArgs | BuildArgs | { readonly command: 'models'; readonly args: readonly string[] } | { readonly command: 'help' };

function parseBuild(rest: readonly string[]): BuildArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      strict: true,
      options: { root: { type: 'string' }, check: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, force: { type: 'boolean' }, jobs: { type: 'string', short: 'j' }, json: { type: 'boolean' }, provider: { type: 'string' }, comfyui: { type: 'string' }, 'no-metadata': { type: 'boolean' } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.check && values['dry-run']) throw new UsageError('use --check (exit 1 when anything is stale) or --dry-run (list the work), not both');
  if (values.force && values.check) throw new UsageError('--check generates nothing, so --force has no effect with it; leave one out');
  const jobs = number('jobs', values.jobs, 1, true) ?? 1;
  if (jobs < 1 || jobs > 64) throw new UsageError(`-j must be from 1 to 64, got ${jobs}`);
  return {
    command: 'build',
    paths: positionals,
    root: values.root,
    mode: values.check ? 'check' : values['dry-run'] ? 'dry-run' : 'build',
    force: values.force === true,
    jobs,
    json: values.json === true,
    provider: oneOf('provider', values.provider, EXECUTION_PROVIDERS, 'auto'),
    comfyui: values.comfyui,
    metadata: !values['no-metadata'],
  };
}

function number(flag: string, raw: string | undefined, fallback: number | undefined, integer: boolean): number | undefined {
  if (raw === undefined) return fallback;
  const text = raw.trim();
  if (!(integer ? DECIMAL_INTEGER : DECIMAL).test(text) || !Number.isFinite(Number(text))) {
    throw new UsageError(`--${flag} must be ${integer ? 'a whole number' : 'a number'}, got ${JSON.stringify(raw)} (decimal digits only, e.g. ${integer ? '20' : '7.5'})`);
  }
  return Number(text);
}

function oneOf<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
}

export function parseCli(argv: readonly string[]): CliArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command === 'models') return { command: 'models', args: rest };
  if (command === 'tokenize') {
    const { values, positionals } = parseArgs({ args: [...rest], options: { tokenizer: { type: 'string' } }, allowPositionals: true, strict: true });
    if (!values.tokenizer) throw new UsageError('tokenize needs --tokenizer <dir> (a folder with vocab.json and merges.txt)');
    if (positionals.length !== 1) throw new UsageError('tokenize takes exactly one text argument');
    return { command: 'tokenize', tokenizer: values.tokenizer, text: positionals[0] };
  }
  if (command === 'upscale') return parseUpscale(rest);
  if (command === 'detect') return parseDetect(rest);
  if (command === 'build') return parseBuild(rest);
  if (command !== 'generate') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      strict: true,
      options: {
        model: { type: 'string' },
        comfyui: { type: 'string' },
        out: { type: 'string' },
        'prompt-file': { type: 'string' },
        negative: { type: 'string' },
        steps: { type: 'string' },
        guidance: { type: 'string' },
        seed: { type: 'string' },
        width: { type: 'string' },
        height: { type: 'string' },
        sampler: { type: 'string' },
        provider: { type: 'string' },
        'no-metadata': { type: 'boolean' },
        'init-image': { type: 'string' },
        strength: { type: 'string' },
        mask: { type: 'string' },
        'mask-blur': { type: 'string' },
        outpaint: { type: 'string' },
        'outpaint-fill': { type: 'string' },
        'only-masked': { type: 'boolean' },
        'mask-padding': { type: 'string' },
        'full-size': { type: 'boolean' },
        int8: { type: 'boolean' },
        control: { type: 'string', multiple: true },
        controlnet: { type: 'string', multiple: true },
        controlnets: { type: 'string', multiple: true },
        recipe: { type: 'boolean' },
        json: { type: 'boolean' },
        lora: { type: 'string', multiple: true },
        'lora-dir': { type: 'string', multiple: true },
        prediction: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`generate takes one prompt argument (quote it), got ${positionals.length}`);
  if (positionals.length === 1 && values['prompt-file']) throw new UsageError('give the prompt as an argument or with --prompt-file, not both');
  if (positionals.length === 0 && !values['prompt-file']) throw new UsageError('generate needs a prompt: atelier generate "a lighthouse at dusk"');
  if (values.mask && !values['init-image']) throw new UsageError('--mask needs --init-image (the image to inpaint)');
  if (values.outpaint && !values['init-image']) throw new UsageError('--outpaint needs --init-image (the image to extend)');
  if (values.outpaint && values.mask) throw new UsageError('use --mask or --outpaint, not both');
  if (values['only-masked'] && !values.mask) throw new UsageError('--only-masked needs --mask (the area to inpaint)');
  if (values.strength !== undefined && !values['init-image']) throw new UsageError('--strength needs --init-image (it sets how much of that image is kept); without one it would be ignored');
  if (values['full-size'] && !values['init-image']) throw new UsageError('--full-size needs --init-image (without one, the size is --width × --height)');
  const controlNetDirs = new Map<ControlType, string>();
  for (const entry of values.controlnet ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0 || eq === entry.length - 1) throw new UsageError(`--controlnet takes <type>=<dir>, got ${JSON.stringify(entry)}`);
    controlNetDirs.set(controlType('controlnet', entry.slice(0, eq), entry), entry.slice(eq + 1));
  }
  const controls = (values.control ?? []).map((c) => {
    const parsed = parseControl(c);
    return { ...parsed, controlNetDir: controlNetDirs.get(parsed.type) };
  });
  let outpaint: GenerateArgs['outpaint'];
  if (values.outpaint !== undefined) {
    const raw = values.outpaint.split(',').map((p) => p.trim());
    const parts = raw.map(Number);
    if (parts.length !== 4 || raw.some((p) => !DECIMAL_INTEGER.test(p))) throw new UsageError(`--outpaint takes four whole numbers left,right,top,bottom, got ${JSON.stringify(values.outpaint)}`);
    outpaint = { left: parts[0], right: parts[1], top: parts[2], bottom: parts[3] };
  }
  return {
    command: 'generate',
    prompt: positionals[0],
    promptFile: values['prompt-file'],
    model: values.model,
    comfyui: values.comfyui,
    out: values.out,
    negative: values.negative ?? '',
    steps: number('steps', values.steps, 20, true) ?? 20,
    guidance: number('guidance', values.guidance, 7.5, false) ?? 7.5,
    modelDefaults: MODEL_DEFAULTABLE.filter((f) => (f === 'sampler' ? values.sampler : f === 'steps' ? values.steps : values.guidance) === undefined),
    seed: number('seed', values.seed, undefined, true),
    width: number('width', values.width, 512, true) ?? 512,
    height: number('height', values.height, 512, true) ?? 512,
    sampler: oneOf('sampler', values.sampler, SAMPLER_NAMES, 'model-default'),
    provider: oneOf('provider', values.provider, EXECUTION_PROVIDERS, 'auto'),
    metadata: !values['no-metadata'],
    initImage: values['init-image'],
    strength: number('strength', values.strength, values.mask || values.outpaint ? 1 : 0.6, false) ?? 0.6,
    mask: values.mask,
    maskBlur: number('mask-blur', values['mask-blur'], 4, true) ?? 4,
    outpaint,
    outpaintFill: oneOf('outpaint-fill', values['outpaint-fill'], ['edge', 'noise'] as const, 'edge'),
    onlyMasked: values['only-masked'] ? { padding: number('mask-padding', values['mask-padding'], 32, true) ?? 32 } : undefined,
    fullSize: values['full-size'] === true,
    int8: values.int8 === true,
    controls,
    controlNetRoots: values.controlnets ?? [],
    recipe: values.recipe === true,
    json: values.json === true,
    loras: (values.lora ?? []).map(parseLora),
    loraDirs: values['lora-dir'] ?? [],
    prediction: values.prediction === undefined ? undefined : oneOf('prediction', values.prediction, ['epsilon', 'v_prediction'] as const, 'epsilon'),
  };
}

/** `name[:weight]`: a trailing `:number` is the weight (names may hold colons, e.g. `a:b.safetensors`). */
export function parseLora(text: string): { name: string; weight: number } {
  const m = /^(.*):([-+]?(?:\d+\.?\d*|\.\d+))$/.exec(text);
  const name = (m ? m[1] : text).trim();
  if (name === '') throw new UsageError(`--lora takes <name>[:weight], got ${JSON.stringify(text)}`);
  return { name, weight: m ? Number(m[2]) : 1 };
}

function parseDetect(rest: readonly string[]): DetectArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], allowPositionals: true, strict: true, options: { out: { type: 'string' }, provider: { type: 'string' } } });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [what, ...files] = parsed.positionals;
  if (what !== 'pose' && what !== 'person') throw new UsageError(`detect takes pose or person first, got ${JSON.stringify(what ?? '')}`);
  if (files.length !== 1) throw new UsageError(`detect ${what} takes one image file, got ${files.length}`);
  return { command: 'detect', what, file: files[0], out: parsed.values.out, provider: oneOf('provider', parsed.values.provider, EXECUTION_PROVIDERS, 'auto') };
}

function parseUpscale(rest: readonly string[]): UpscaleArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], allowPositionals: true, strict: true, options: { scale: { type: 'string' }, model: { type: 'string' }, comfyui: { type: 'string' }, out: { type: 'string' }, provider: { type: 'string' }, 'no-metadata': { type: 'boolean' }, json: { type: 'boolean' } } });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`upscale takes one image file, got ${positionals.length}`);
  // A ComfyUI upscale (--comfyui, or $ATELIER_COMFYUI_URL with a model that is not a built-in one): the server's model sets the scale.
  const serverModel = values.model !== undefined && !(UPSCALER_MODELS as readonly string[]).includes(values.model);
  if (values.comfyui !== undefined || (serverModel && process.env.ATELIER_COMFYUI_URL)) {
    if (!values.model) throw new UsageError('upscale --comfyui needs --model <upscale model as the server lists it> (atelier models list --comfyui <url>)');
    if (values.scale !== undefined) throw new UsageError('--scale is set by the server\'s upscale model with --comfyui; leave it out');
    return { command: 'upscale', file: positionals[0], scale: 2, model: 'slim', comfy: { url: values.comfyui, model: values.model }, out: values.out, provider: 'auto', metadata: !values['no-metadata'], json: values.json === true };
  }
  const scale = oneOf('scale', values.scale, UPSCALE_FACTORS.map(String), '2');
  return {
    command: 'upscale',
    file: positionals[0],
    scale: Number(scale) as UpscaleFactor,
    model: oneOf('model', values.model, UPSCALER_MODELS, 'slim'),
    out: values.out,
    provider: oneOf('provider', values.provider, EXECUTION_PROVIDERS, 'auto'),
    metadata: !values['no-metadata'],
    json: values.json === true,
  };
}
