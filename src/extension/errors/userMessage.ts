/** The one place where typed pipeline errors become words for the user (VS Code and CLI alike). */
import type { PipelineErrorInfo } from '../../shared/errors';

export type ErrorAction = 'chooseModel' | 'howToGetModel' | 'showLog' | 'restartWorker' | 'openSettings' | 'setHubToken';

export interface UserMessage {
  readonly message: string;
  readonly actions: readonly ErrorAction[];
}

export function describeForUser(error: PipelineErrorInfo): UserMessage {
  const detail = error.message.charAt(0).toUpperCase() + error.message.slice(1);
  switch (error.code) {
    case 'INVALID_INPUT':
      return { message: `Invalid setting: ${error.message}.`, actions: ['openSettings'] };
    case 'MODEL_MISSING_FILE':
      return { message: `The model is incomplete: ${error.message}.`, actions: ['chooseModel', 'howToGetModel'] };
    case 'MODEL_UNSAFE':
      return { message: `Atelier refused to load this model: ${error.message}`, actions: ['chooseModel', 'howToGetModel'] };
    case 'MODEL_UNSUPPORTED':
      return { message: `This model is not supported: ${error.message}.`, actions: ['chooseModel', 'howToGetModel'] };
    case 'MODEL_INVALID':
      return { message: `The model could not be read: ${error.message}.`, actions: ['chooseModel', 'showLog'] };
    case 'CANCELLED':
      return { message: 'Generation cancelled.', actions: [] };
    case 'OUT_OF_MEMORY':
      return { message: `Out of memory: ${error.message}.`, actions: ['showLog'] };
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
    case 'INTERNAL':
      return { message: `Atelier hit an internal error: ${error.message}. Please report it with the Atelier log.`, actions: ['showLog'] };
  }
}
