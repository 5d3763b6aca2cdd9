/** The test double's faults: what a real server, proxy or network does wrong, switchable per test. */
import sharp from 'sharp';
import type { Img } from './execute';

export interface ComfyFaults {
  /** Each sampler step takes this long. */
  stepDelayMs?: number;
  /** Nodes of this class raise this exception while executing. */
  failClass?: { classType: string; exceptionType: string; message: string };
  /** Every route and the websocket require `Authorization: Bearer <token>` (ComfyUI-Login, a proxy). */
  token?: string;
  /** Close the job's websocket at this sampler step (once), and refuse upgrades for `refuseSocketMs`. */
  dropSocketAtStep?: number;
  refuseSocketMs?: number;
  /** Generate the prompt id instead of taking the client's (ComfyUI before 0.3.44). */
  ignorePromptId?: boolean;
  /** Accept the connection, never answer (paths starting with this, or every path when true). */
  neverAnswer?: boolean | string;
  /** Send response bodies one byte per this many ms. */
  trickleMs?: number;
  /** Send bodies without Content-Length (chunked), so only counting the bytes can bound them. */
  noContentLength?: boolean;
  /** Answer this path with this status and body. */
  status?: { path: string; code: number; body?: string };
  /** What SaveImage writes: a PNG whose header claims 65535², bytes beyond any bound, garbage, a cut PNG, a wrong size. */
  resultImage?: 'huge-header' | 'oversized' | 'garbage' | 'truncated' | 'wrong-size';
  /** `executed` names a file outside the output folder. */
  unsafeFilename?: boolean;
  /** 302 every GET under /api to this origin. */
  redirectTo?: string;
  /** Answer every route with an HTML page (another web server on that port). */
  notComfyUI?: boolean;
  /** Ignore the client's feature flags (ComfyUI before mid-2025): previews are always event 1 frames. */
  legacyPreviews?: boolean;
  /** Don't send `executed`/`execution_success` messages (results only in /history). */
  silentResults?: boolean;
}

/** The broken results a server (or whatever sits in front of it) can send instead of the PNG. */
export async function faultyImage(kind: NonNullable<ComfyFaults['resultImage']>, png: Uint8Array, image: Img): Promise<Uint8Array> {
  switch (kind) {
    case 'huge-header': {
      // A valid PNG signature and IHDR claiming 65535×65535; the CRC is recomputed so only the size lies.
      const out = Buffer.from(png);
      out.writeUInt32BE(65535, 16);
      out.writeUInt32BE(65535, 20);
      out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
      return out;
    }
    case 'oversized':
      // A result far larger than any image of the asked size could be.
      return Buffer.concat([Buffer.from(png), Buffer.alloc(image.width * image.height * 8 + 32 * 1024 * 1024)]);
    case 'garbage':
      return Buffer.from('<html><body>502 Bad Gateway</body></html>');
    case 'truncated':
      return Buffer.from(png).subarray(0, Math.floor(png.length / 2));
    case 'wrong-size':
      return new Uint8Array(await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } }).resize(Math.max(8, image.width / 2), Math.max(8, image.height / 2)).png().toBuffer());
  }
}

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
