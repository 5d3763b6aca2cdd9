import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_HEADER_BYTES, openSafetensors } from '../../../src/pipeline/convert/safetensors';
import { fromHalfBits } from '../../../src/pipeline/ops/fp16';
import { encodeSafetensors, toBf16Bits, writeSafetensors } from '../../helpers/safetensors';

const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-st-'));
afterAll(() => undefined);

function header(json: unknown, extraBytes = 0, lengthOverride?: bigint): Buffer {
  const body = Buffer.from(JSON.stringify(json));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(body.length));
  return Buffer.concat([len, body, Buffer.alloc(extraBytes)]);
}

async function refusal(file: string): Promise<Error> {
  try {
    const st = await openSafetensors(file);
    await st.close();
  } catch (error) {
    return error as Error;
  }
  throw new Error(`${file} was accepted`);
}

describe('openSafetensors', () => {
  it('reads F32 exactly and widens F16 and BF16 to the float32 of their bits, one tensor at a time', async () => {
    const values = [0, 1, -2.5, 65504, 1e-7, -3.14159, 1 / 3];
    const file = path.join(dir, 'dtypes.safetensors');
    writeSafetensors(file, { a: { shape: [7], data: values }, h: { shape: [7], data: values, dtype: 'F16' }, b: { shape: [1, 7], data: values, dtype: 'BF16' } }, { note: 'x' });
    const st = await openSafetensors(file);
    try {
      expect(st.metadata).toEqual({ note: 'x' });
      expect([...st.entries.keys()]).toEqual(['a', 'h', 'b']);
      expect(st.entries.get('b')?.shape).toEqual([1, 7]);
      expect([...(await st.read('a'))]).toEqual([...Float32Array.from(values)]);
      // F16: exactly what the half bits mean (65504 is the largest half; 1e-7 is a subnormal).
      const { toHalfBits } = await import('../../../src/pipeline/ops/fp16');
      expect([...(await st.read('h'))]).toEqual(values.map((v) => Math.fround(fromHalfBits(toHalfBits(v)))));
      // BF16: the top 16 bits of the float32.
      const bf = values.map((v) => {
        const u = new Uint32Array([toBf16Bits(v) << 16]);
        return new Float32Array(u.buffer)[0];
      });
      expect([...(await st.read('b'))]).toEqual(bf);
      await expect(st.read('nope')).rejects.toThrow(/has no tensor "nope"/);
    } finally {
      await st.close();
    }
  });

  it('refuses a truncated file, naming where it ends', async () => {
    const file = path.join(dir, 'truncated.safetensors');
    const whole = encodeSafetensors({ a: { shape: [64] } });
    writeFileSync(file, whole.subarray(0, whole.length - 10));
    expect((await refusal(file)).message).toMatch(/ends at byte \d+ but the file is \d+ bytes/);
  });

  it('refuses a header whose offsets lie (span ≠ dtype × shape, overlap past the end, bad dtype or shape)', async () => {
    const cases: [unknown, RegExp][] = [
      [{ a: { dtype: 'F32', shape: [4], data_offsets: [0, 12] } }, /needs 16 bytes but its data_offsets \[0, 12\] span 12/],
      [{ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, /ends at byte/],
      [{ a: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, /dtype "I64"; Atelier reads F32, F16 and BF16/],
      [{ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, /has shape \[-1\]/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, /data_offsets \[8, 4\]/],
      [[1, 2], /does not start with "\{"/],
      [{ a: 3 }, /described by 3/],
    ];
    for (const [json, message] of cases) {
      const file = path.join(dir, 'lies.safetensors');
      writeFileSync(file, header(json, 8));
      expect((await refusal(file)).message).toMatch(message);
    }
  });

  it('refuses an absurd or overlong header length before allocating it', async () => {
    const file = path.join(dir, 'huge-header.safetensors');
    writeFileSync(file, header({}, 0, BigInt(MAX_HEADER_BYTES) + 1n));
    expect((await refusal(file)).message).toMatch(/header claims \d+ bytes; a safetensors header is at most/);
    writeFileSync(file, header({}, 0, 1000n));
    expect((await refusal(file)).message).toMatch(/header claims 1000 bytes but the file is only \d+ bytes/);
    writeFileSync(file, Buffer.from([1, 2, 3]));
    expect((await refusal(file)).message).toMatch(/shorter than the 8-byte header length/);
    writeFileSync(file, header('x'.repeat(10)));
    expect((await refusal(file)).message).toMatch(/does not start with "\{"/);
  });

  it('refuses pickles and zipped torch checkpoints whatever their name, with a teaching message', async () => {
    const pickle = path.join(dir, 'model.safetensors');
    writeFileSync(pickle, Buffer.from([0x80, 0x02, 0x7d, 0x71, 0, 0, 0, 0, 0, 0]));
    const error = await refusal(pickle);
    expect(error).toMatchObject({ code: 'MODEL_UNSAFE' });
    expect(error.message).toMatch(/pickle.*never loads.*\.safetensors release/);
    const zip = path.join(dir, 'model.ckpt');
    writeFileSync(zip, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0]));
    expect(await refusal(zip)).toMatchObject({ code: 'MODEL_UNSAFE' });
  });

  it('refuses a folder, a FIFO (without blocking) and a missing file; follows a symlink to a regular file', async () => {
    const folder = path.join(dir, 'folder.safetensors');
    mkdirSync(folder);
    expect((await refusal(folder)).message).toMatch(/folder, not a regular file/);
    const fifo = path.join(dir, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    expect((await refusal(fifo)).message).toMatch(/named pipe \(FIFO\), not a regular file/);
    expect(await refusal(path.join(dir, 'absent.safetensors'))).toMatchObject({ code: 'MODEL_MISSING_FILE' });
    const real = path.join(dir, 'real.safetensors');
    writeSafetensors(real, { a: { shape: [2], data: [1, 2] } });
    const link = path.join(dir, 'link.safetensors');
    symlinkSync(real, link);
    const st = await openSafetensors(link);
    expect([...(await st.read('a'))]).toEqual([1, 2]);
    await st.close();
  });
});
