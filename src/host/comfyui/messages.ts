/**
 * ComfyUI's websocket messages, parsed from untrusted JSON into a closed union (server.py send_json:
 * `{ type, data }`; execution.py and main.py for the shapes), and its binary frames (server.py
 * encode_bytes: a big-endian u32 event type, then the payload).
 */

/** What `executed` and `/history` say about an output file; checked before any `/view` URL is built. */
export interface UncheckedImageRef {
  readonly filename: unknown;
  readonly subfolder: unknown;
  readonly type: unknown;
}

export type ComfyMessage =
  | { readonly type: 'status'; readonly queueRemaining?: number; readonly sid?: string }
  | { readonly type: 'execution_start'; readonly promptId: string }
  | { readonly type: 'execution_cached'; readonly promptId: string; readonly nodes: readonly string[] }
  /** `node: null` ends a prompt (all ComfyUI versions send it after the last node). */
  | { readonly type: 'executing'; readonly promptId?: string; readonly node: string | null }
  | { readonly type: 'progress'; readonly promptId?: string; readonly node?: string; readonly value: number; readonly max: number }
  | { readonly type: 'executed'; readonly promptId?: string; readonly node: string; readonly images: readonly UncheckedImageRef[] }
  | { readonly type: 'execution_success'; readonly promptId: string }
  | { readonly type: 'execution_error'; readonly promptId: string; readonly error: ComfyExecutionError }
  | { readonly type: 'execution_interrupted'; readonly promptId: string; readonly nodeId?: string }
  | { readonly type: 'feature_flags'; readonly flags: Readonly<Record<string, unknown>> };

export interface ComfyExecutionError {
  readonly nodeId?: string;
  readonly nodeType?: string;
  readonly exceptionType?: string;
  readonly exceptionMessage?: string;
}

/** A preview frame: the image bytes (JPEG or PNG, checked when decoded) and, in the newer format, its prompt. */
export interface PreviewFrame {
  readonly bytes: Uint8Array;
  readonly promptId?: string;
  readonly node?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function imagesOf(output: unknown): UncheckedImageRef[] {
  if (!isObj(output) || !Array.isArray(output.images)) return [];
  return output.images.filter(isObj).map((i) => ({ filename: i.filename, subfolder: i.subfolder, type: i.type }));
}

/** Parses one text frame; undefined for anything this client does not use (or cannot read). */
export function parseMessage(text: string): ComfyMessage | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObj(raw) || typeof raw.type !== 'string' || !isObj(raw.data)) return undefined;
  const d = raw.data;
  const promptId = str(d.prompt_id);
  switch (raw.type) {
    case 'status': {
      const status = isObj(d.status) && isObj(d.status.exec_info) ? num(d.status.exec_info.queue_remaining) : undefined;
      return { type: 'status', queueRemaining: status, sid: str(d.sid) };
    }
    case 'execution_start':
      return promptId ? { type: 'execution_start', promptId } : undefined;
    case 'execution_cached':
      return promptId ? { type: 'execution_cached', promptId, nodes: Array.isArray(d.nodes) ? d.nodes.filter((n): n is string => typeof n === 'string') : [] } : undefined;
    case 'executing':
      if (d.node !== null && typeof d.node !== 'string') return undefined;
      return { type: 'executing', promptId, node: d.node };
    case 'progress': {
      const value = num(d.value);
      const max = num(d.max);
      return value !== undefined && max !== undefined ? { type: 'progress', promptId, node: str(d.node), value, max } : undefined;
    }
    case 'executed':
      return typeof d.node === 'string' ? { type: 'executed', promptId, node: d.node, images: imagesOf(d.output) } : undefined;
    case 'execution_success':
      return promptId ? { type: 'execution_success', promptId } : undefined;
    case 'execution_error':
      return promptId ? { type: 'execution_error', promptId, error: executionErrorOf(d) } : undefined;
    case 'execution_interrupted':
      return promptId ? { type: 'execution_interrupted', promptId, nodeId: str(d.node_id) } : undefined;
    case 'feature_flags':
      return { type: 'feature_flags', flags: d };
    default:
      return undefined;
  }
}

export function executionErrorOf(d: Obj): ComfyExecutionError {
  return { nodeId: str(d.node_id), nodeType: str(d.node_type), exceptionType: str(d.exception_type), exceptionMessage: str(d.exception_message) };
}

/** protocol.py BinaryEventTypes. */
const PREVIEW_IMAGE = 1;
const PREVIEW_IMAGE_WITH_METADATA = 4;
/** Largest metadata block accepted in a type-4 frame. */
const MAX_PREVIEW_METADATA = 64 * 1024;

/** Parses a binary frame; undefined for event types this client ignores (text progress, unknown). */
export function parseBinaryFrame(frame: Uint8Array): PreviewFrame | undefined {
  if (frame.length < 8) return undefined;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const event = view.getUint32(0);
  if (event === PREVIEW_IMAGE) {
    // u32 image type (1 JPEG, 2 PNG), then the encoded image; the decoder sniffs the bytes anyway.
    return { bytes: frame.subarray(8) };
  }
  if (event === PREVIEW_IMAGE_WITH_METADATA) {
    const length = view.getUint32(4);
    if (length > MAX_PREVIEW_METADATA || 8 + length > frame.length) return undefined;
    let meta: unknown;
    try {
      meta = JSON.parse(new TextDecoder().decode(frame.subarray(8, 8 + length)));
    } catch {
      return undefined;
    }
    const m = isObj(meta) ? meta : {};
    return { bytes: frame.subarray(8 + length), promptId: str(m.prompt_id), node: str(m.node_id) };
  }
  return undefined;
}
