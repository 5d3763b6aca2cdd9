/**
 * Images to and from the server: `POST /api/upload/image` (multipart, named by content hash so the
 * server's duplicate check reuses an earlier upload) and `GET /api/view` for results. A `/view` query is
 * built only from a file reference that passed `checkImageRef`: a plain file name in the output or
 * temp folder, never a path the server made up.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PipelineError } from '../../shared/errors';
import { quote } from './comfyErrors';
import { serverLabel, type ComfyConnection } from './connection';
import { comfyRequest, parseJson, statusError } from './http';
import { decodeResult, encodeUpload, type SizeRule } from './imageEdge';
import type { UncheckedImageRef } from './messages';
import type { RawImage } from './workflowInput';

export interface ImageRef {
  readonly filename: string;
  readonly subfolder: string;
  readonly type: 'output' | 'temp';
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.()+-]{0,199}\.(png|jpe?g|webp)$/i;
const FOLDER_PART = /^[A-Za-z0-9_][A-Za-z0-9 _.()+-]{0,99}$/;

function refused(conn: ComfyConnection, what: string, value: unknown): PipelineError {
  return new PipelineError('BACKEND_INCOMPATIBLE', `${serverLabel(conn.base)} named ${what} ${JSON.stringify(quote(value, 120))}, which is not a plain image file in its own folders; refusing to fetch it`);
}

/** Checks a file reference from `executed` or `/history` before it becomes a `/view` query. */
export function checkImageRef(conn: ComfyConnection, ref: UncheckedImageRef): ImageRef {
  const { filename, subfolder, type } = ref;
  if (typeof filename !== 'string' || !FILE_NAME.test(filename) || filename.includes('..')) throw refused(conn, 'its result', filename);
  const folder = subfolder ?? '';
  if (typeof folder !== 'string' || folder.length > 255 || (folder !== '' && !folder.split('/').every((part) => FOLDER_PART.test(part) && part !== '..' && part !== '.'))) {
    throw refused(conn, 'the folder of its result', folder);
  }
  if (type !== 'output' && type !== 'temp') throw refused(conn, 'the folder type of its result', type);
  return { filename, subfolder: folder, type };
}

function multipart(png: Uint8Array, filename: string): { bytes: Uint8Array; contentType: string } {
  const boundary = `----atelier${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\ninput\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { bytes: Buffer.concat([head, png, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Uploads pixels as PNG into the server's input folder; returns the name LoadImage takes. */
export async function uploadImage(conn: ComfyConnection, image: RawImage, signal?: AbortSignal): Promise<string> {
  const png = await encodeUpload(image, isLoopback(conn.base.hostname));
  const filename = `atelier-${createHash('sha256').update(png).digest('hex').slice(0, 20)}.png`;
  const what = 'POST /api/upload/image';
  const result = await comfyRequest(conn, 'api/upload/image', { method: 'POST', body: multipart(png, filename), maxBytes: 64 * 1024, totalMs: conn.timeouts.transferMs, signal, what });
  if (result.status === 413) {
    throw new PipelineError('BACKEND_INCOMPATIBLE', `${serverLabel(conn.base)} refused a ${(png.length / 1e6).toFixed(1)} MB upload as too large (HTTP 413): raise its --max-upload-size (or the proxy's body limit)`);
  }
  if (result.status !== 200) throw statusError(conn, result, what);
  const body = parseJson(conn, result, what) as { name?: unknown; subfolder?: unknown };
  const name = body.name;
  const subfolder = body.subfolder ?? '';
  if (typeof name !== 'string' || !FILE_NAME.test(name) || typeof subfolder !== 'string' || (subfolder !== '' && !subfolder.split('/').every((p) => FOLDER_PART.test(p)))) {
    throw refused(conn, 'the upload', name);
  }
  return subfolder ? `${subfolder}/${name}` : name;
}

/** Fetches one result with `GET /api/view` and decodes it (size and format checked first). */
export async function fetchResult(conn: ComfyConnection, ref: ImageRef, rule: SizeRule, signal?: AbortSignal): Promise<{ image: RawImage; bytes: number; downloadMs: number; decodeMs: number }> {
  const expected = 'exactly' in rule ? rule.exactly : { width: rule.multipleOf.width * 8, height: rule.multipleOf.height * 8 };
  // Room for any PNG of the asked size (incompressible pixels plus ComfyUI's workflow text chunks).
  const maxBytes = expected.width * expected.height * 4 + 8 * 1024 * 1024;
  const what = `the result ${ref.filename}`;
  const started = performance.now();
  const result = await comfyRequest(conn, 'api/view', { query: { filename: ref.filename, subfolder: ref.subfolder, type: ref.type }, maxBytes, totalMs: conn.timeouts.transferMs, signal, what });
  if (result.status !== 200) throw statusError(conn, result, `GET /api/view for ${ref.filename}`);
  const downloaded = performance.now();
  const image = await decodeResult(new Uint8Array(result.body.buffer, result.body.byteOffset, result.body.byteLength), rule, serverLabel(conn.base));
  return { image, bytes: result.body.length, downloadMs: downloaded - started, decodeMs: performance.now() - downloaded };
}
