/** The one place where typed pipeline errors become words for the user (VS Code and CLI alike). */
import type { PipelineErrorInfo } from '../../shared/errors';

export type ErrorAction = 'chooseModel' | 'howToGetModel' | 'showLog' | 'restartWorker' | 'openSettings' | 'setHubToken' | 'getControlNet' | 'getControlNetBase' | 'setComfyToken';

const CONTROL_TYPE_NAMES: Readonly<Record<string, string>> = { openpose: 'OpenPose', depth: 'Depth', canny: 'Canny', scribble: 'Scribble', lineart: 'Lineart' };

/** "OpenPose" for openpose: how ControlNets are named on the Hub and in the catalogue. */
export function controlTypeName(type: string | undefined): string {
  return (type && CONTROL_TYPE_NAMES[type]) ?? type ?? 'matching';
}

export interface UserMessage {
  readonly message: string;
  readonly actions: readonly ErrorAction[];
}

/** Where the message is shown: VS Code has a log and buttons; the CLI has stderr and ATELIER_DEBUG. */
export type Surface = 'vscode' | 'cli';

/**
 * A message as a sentence: the first letter is capitalised only when it starts an ordinary word, so
 * ids, paths and URLs keep their case ("t/wronghash …", "http://…", "sd-turbo …").
 */
export function asSentence(message: string): string {
  return /^[a-z]+ /.test(message) ? message.charAt(0).toUpperCase() + message.slice(1) : message;
}

/** Request fields that carry an image: a problem with one is about the file, not a setting. */
const IMAGE_ARGUMENTS = new Set(['initImage', 'mask', 'image', 'controlImage']);

export function describeForUser(error: PipelineErrorInfo, surface: Surface = 'vscode'): UserMessage {
  const detail = asSentence(error.message);
  switch (error.code) {
    case 'INVALID_INPUT':
      if (error.argument !== undefined && IMAGE_ARGUMENTS.has(error.argument)) return { message: `Cannot use this image: ${error.message}.`, actions: [] };
      return { message: `Invalid setting: ${error.message}.`, actions: ['openSettings'] };
    case 'FILE_UNREADABLE':
      return { message: `${detail}.`, actions: [] };
    case 'MODEL_MISSING_FILE':
      return { message: `The model is incomplete: ${error.message}.`, actions: ['chooseModel', 'howToGetModel'] };
    case 'MODEL_UNSAFE':
      return { message: `Atelier refused to load this model: ${error.message}`, actions: ['chooseModel', 'howToGetModel'] };
    case 'MODEL_UNSUPPORTED':
      return { message: `This model is not supported: ${error.message}.`, actions: ['chooseModel', 'howToGetModel'] };
    case 'MODEL_INVALID':
      return { message: `The model could not be read: ${error.message}.`, actions: ['chooseModel', 'showLog'] };
    case 'CONTROLNET_MISSING':
      return { message: `No ${controlTypeName(error.argument)} ControlNet is installed: ${error.message}.`, actions: ['getControlNet', 'openSettings'] };
    case 'CONTROLNET_UNET_MISSING':
      return { message: `This model cannot run separate ControlNets, it lacks their UNet: ${error.message}.`, actions: ['getControlNetBase', 'chooseModel'] };
    case 'CANCELLED':
      return { message: `${detail}.`, actions: [] };
    case 'OUT_OF_MEMORY':
      return { message: `Out of memory: ${error.message}.`, actions: ['showLog'] };
    case 'NOT_ENOUGH_MEMORY':
      return { message: `Not enough free memory, so the job did not start: ${error.message}. Closing other programs frees memory too; to run it anyway (the estimate is calibrated on SD 1.5 at 512² and may be high for other models), start Atelier with ATELIER_MEMORY_CHECK=off.`, actions: ['openSettings'] };
    case 'PROVIDER_FAILED':
      return { message: `${detail}.`, actions: ['openSettings', 'showLog'] };
    case 'INFERENCE_FAILED':
      return { message: `Inference failed: ${error.message}.`, actions: ['showLog'] };
    case 'WORKER_CRASHED':
      return { message: `${detail}. The job was not saved; the next job starts a fresh worker.`, actions: ['showLog'] };
    case 'WORKER_GAVE_UP':
      return { message: `${detail}.`, actions: ['restartWorker', 'showLog'] };
    case 'TIMEOUT':
      return { message: `${detail}.`, actions: ['showLog'] };
    case 'OUTPUT_FAILED':
      return { message: `${detail}. Choose another output folder.`, actions: ['openSettings'] };
    case 'HUB_AUTH_REQUIRED':
      return { message: `${detail}.`, actions: ['setHubToken'] };
    case 'HUB_NOT_FOUND':
      return { message: `${detail}.`, actions: [] };
    case 'HUB_OFFLINE':
      return { message: `${detail}.`, actions: [] };
    case 'NETWORK_FAILED':
      return { message: `${detail}. Models already in the cache still work; set HF_HUB_OFFLINE=1 to use only those.`, actions: ['showLog'] };
    case 'DISK_FULL':
      return { message: `${detail}.`, actions: [] };
    case 'INTEGRITY_FAILED':
      return { message: `${detail}. The damaged download was removed; try again.`, actions: ['showLog'] };
    case 'BACKEND_UNREACHABLE':
      return { message: `${detail}.`, actions: ['openSettings', 'showLog'] };
    case 'BACKEND_INCOMPATIBLE':
      return { message: `${detail}.`, actions: ['openSettings'] };
    case 'BACKEND_AUTH_REQUIRED':
      return { message: `${detail}.`, actions: ['setComfyToken', 'openSettings'] };
    case 'INTERNAL':
      return {
        message:
          surface === 'cli'
            ? `Atelier hit an internal error: ${error.message}. Please report it with the details printed when you run the same command with ATELIER_DEBUG=1.`
            : `Atelier hit an internal error: ${error.message}. Please report it with the Atelier log.`,
        actions: ['showLog'],
      };
  }
}
