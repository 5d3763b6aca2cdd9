/** `atelier models list --comfyui <url>` (or $ATELIER_COMFYUI_URL): what a ComfyUI server offers. */
import { ComfyClient, describeDevice, offeredSamplers } from '../host/comfyui';
import { UsageError } from './args';

/** Splits `--comfyui <url>` / `--comfyui=<url>` off the models arguments. */
export function takeComfyUrl(args: readonly string[]): { url?: string; rest: string[] } {
  const rest: string[] = [];
  let url: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--comfyui') {
      url = args[i + 1];
      if (url === undefined || url.startsWith('--')) throw new UsageError('--comfyui needs the server address, e.g. --comfyui http://127.0.0.1:8188');
      i += 1;
    } else if (arg.startsWith('--comfyui=')) url = arg.slice('--comfyui='.length);
    else rest.push(arg);
  }
  return { url, rest };
}

export async function listComfyModels(url: string, fromEnv: boolean, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (fromEnv) err.write(`atelier: listing the ComfyUI server at ${url} (ATELIER_COMFYUI_URL); unset it to list the local cache\n`);
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.on('SIGINT', onSigint);
  try {
    // The token comes from the environment, never from the command line (it would show in `ps`).
    const client = await ComfyClient.connect(url, { token: process.env.ATELIER_COMFYUI_TOKEN, signal: abort.signal });
    const { info } = client;
    const devices = info.devices.map(describeDevice).join('; ') || 'no device reported';
    out.write(`${client.label}${info.version ? ` (ComfyUI ${info.version})` : ''}: ${devices}\n`);
    const section = (title: string, names: readonly string[]): void => {
      out.write(`\n${title} (${names.length}):\n`);
      for (const name of names) out.write(`  ${name}\n`);
    };
    section('checkpoints', info.checkpoints);
    section('ControlNets', info.controlNets);
    section('LoRAs', info.loras);
    section('upscale models', info.upscaleModels);
    const samplers = offeredSamplers(info);
    out.write(`\nsamplers: ${samplers.join(', ') || 'none of Atelier\'s'} (model-default runs as euler; pndm has no ComfyUI equivalent)\n`);
    client.close();
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
