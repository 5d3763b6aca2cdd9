/**
 * Follows one prompt through ComfyUI's messages (pure: messages in, events out). It knows the graph,
 * so `executing`/`progress` become Atelier's phases and steps; `executed` for the SaveImage node gives
 * the result files; a finished history entry (after a dropped websocket) ends it the same way.
 */
import type { PipelineError } from '../../shared/errors';
import { executionFailed } from './comfyErrors';
import type { ComfyGraph } from './graph';
import { executionErrorOf, type ComfyMessage, type UncheckedImageRef } from './messages';

/** Atelier's progress phases, plus the ones only a remote job has. */
export type ComfyPhase = 'queued' | 'uploading' | 'loading' | 'encoding' | 'denoising' | 'decoding' | 'encoding-png' | 'upscaling' | 'downloading';

export interface ComfyProgress {
  readonly phase: ComfyPhase;
  readonly step: number;
  readonly totalSteps: number;
}

export type TrackerEvent =
  | { readonly kind: 'progress'; readonly progress: ComfyProgress }
  | { readonly kind: 'finished'; readonly images: readonly UncheckedImageRef[] }
  | { readonly kind: 'failed'; readonly error: PipelineError }
  | { readonly kind: 'interrupted' };

const PHASE_OF: Readonly<Record<string, ComfyPhase>> = {
  CheckpointLoaderSimple: 'loading',
  LoraLoader: 'loading',
  ControlNetLoader: 'loading',
  UpscaleModelLoader: 'loading',
  LoadImage: 'encoding',
  LoadImageMask: 'encoding',
  CLIPTextEncode: 'encoding',
  ControlNetApplyAdvanced: 'encoding',
  VAEEncode: 'encoding',
  SetLatentNoiseMask: 'encoding',
  ImagePadForOutpaint: 'encoding',
  EmptyLatentImage: 'encoding',
  KSampler: 'denoising',
  VAEDecode: 'decoding',
  SaveImage: 'encoding-png',
  ImageUpscaleWithModel: 'upscaling',
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export class JobTracker {
  /** The id the server uses for this prompt (ours, or the server's own when it ignores ours). */
  promptId: string;
  state: 'submitted' | 'running' | 'done' = 'submitted';
  private images: UncheckedImageRef[] = [];
  private readonly steps: number;

  constructor(
    promptId: string,
    private readonly graph: ComfyGraph,
    private readonly outputNode: string,
    private readonly who: string,
    private readonly size?: { width: number; height: number },
  ) {
    this.promptId = promptId;
    const sampler = Object.values(graph).find((n) => n.class_type === 'KSampler');
    this.steps = typeof sampler?.inputs.steps === 'number' ? sampler.inputs.steps : 0;
  }

  /** Whether a message without a prompt id (old servers, progress) belongs to this job. */
  private ours(promptId: string | undefined): boolean {
    return promptId === undefined ? this.state === 'running' : promptId === this.promptId;
  }

  handle(message: ComfyMessage): TrackerEvent[] {
    if (this.state === 'done') return [];
    switch (message.type) {
      case 'execution_start':
        if (message.promptId !== this.promptId) return [];
        this.state = 'running';
        return [{ kind: 'progress', progress: { phase: 'loading', step: 0, totalSteps: this.steps } }];
      case 'executing': {
        if (!this.ours(message.promptId)) return [];
        if (message.node === null) {
          // The end of the prompt on every version; newer servers sent execution_success before it.
          return this.state === 'running' ? this.finish() : [];
        }
        this.state = 'running';
        const classType = this.graph[message.node]?.class_type;
        const phase: ComfyPhase = (classType ? PHASE_OF[classType] : undefined) ?? 'encoding';
        return [{ kind: 'progress', progress: { phase, step: 0, totalSteps: phase === 'denoising' ? this.steps : 0 } }];
      }
      case 'progress': {
        if (!this.ours(message.promptId)) return [];
        const classType = message.node ? this.graph[message.node]?.class_type : undefined;
        const phase = classType === 'ImageUpscaleWithModel' ? 'upscaling' : 'denoising';
        return [{ kind: 'progress', progress: { phase, step: message.value, totalSteps: message.max } }];
      }
      case 'executed':
        if (this.ours(message.promptId) && message.node === this.outputNode) this.images = [...message.images];
        return [];
      case 'execution_success':
        return message.promptId === this.promptId ? this.finish() : [];
      case 'execution_error':
        if (message.promptId !== this.promptId) return [];
        this.state = 'done';
        return [{ kind: 'failed', error: executionFailed(message.error, this.graph, this.who, this.size) }];
      case 'execution_interrupted':
        if (message.promptId !== this.promptId) return [];
        this.state = 'done';
        return [{ kind: 'interrupted' }];
      default:
        return [];
    }
  }

  /** A `/history/<id>` entry: a finished prompt ends the job as its messages would have. */
  handleHistory(entry: unknown): TrackerEvent[] {
    if (this.state === 'done' || !isObj(entry)) return [];
    const status = isObj(entry.status) ? entry.status : {};
    const messages = Array.isArray(status.messages) ? status.messages : [];
    const outputs: Obj | undefined = isObj(entry.outputs) && isObj(entry.outputs[this.outputNode]) ? (entry.outputs[this.outputNode] as Obj) : undefined;
    if (status.status_str === 'error') {
      for (const m of messages) {
        if (!Array.isArray(m) || !isObj(m[1])) continue;
        if (m[0] === 'execution_interrupted') return this.handle({ type: 'execution_interrupted', promptId: this.promptId });
        if (m[0] === 'execution_error') return this.handle({ type: 'execution_error', promptId: this.promptId, error: executionErrorOf(m[1]) });
      }
      this.state = 'done';
      return [{ kind: 'failed', error: executionFailed({ exceptionMessage: 'the server recorded the job as failed without saying why' }, this.graph, this.who) }];
    }
    if (outputs && Array.isArray(outputs.images)) {
      this.images = outputs.images.filter(isObj).map((i) => ({ filename: i.filename, subfolder: i.subfolder, type: i.type }));
      return this.finish();
    }
    return [];
  }

  private finish(): TrackerEvent[] {
    this.state = 'done';
    return [{ kind: 'finished', images: this.images }];
  }
}
