import sharp from 'sharp';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, insertITxt, readTextChunks } from '../../../src/host/output/pngText';

async function png(): Promise<Uint8Array> {
  return new Uint8Array(await sharp({ create: { width: 4, height: 3, channels: 3, background: { r: 10, g: 200, b: 30 } } }).png().toBuffer());
}

describe('PNG text chunks', () => {
  it('crc32 matches the PNG reference value for "IEND"', () => {
    expect(crc32(Buffer.from('IEND', 'latin1'))).toBe(0xae426082);
  });

  it('an iTXt chunk with UTF-8 text round-trips through our reader and through sharp', async () => {
    const text = 'a café at night, 猫, 🐱\nNegative prompt: blurry\nSteps: 20, Seed: 42';
    const out = insertITxt(await png(), 'parameters', text);
    expect(readTextChunks(out).get('parameters')).toBe(text);
    const meta = await sharp(Buffer.from(out)).metadata();
    expect(meta.comments).toEqual([{ keyword: 'parameters', text }]);
    // The pixels are untouched and the file still decodes.
    const { data, info } = await sharp(Buffer.from(out)).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, data[0], data[1], data[2]]).toEqual([4, 3, 10, 200, 30]);
  });

  it('reads tEXt and compressed zTXt, and ignores an oversized (bomb) zTXt', async () => {
    const base = Buffer.from(await png());
    const chunk = (type: string, data: Buffer): Buffer => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(data.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])));
      return Buffer.concat([len, Buffer.from(type, 'latin1'), data, crc]);
    };
    const tEXt = chunk('tEXt', Buffer.from('Comment\0hello', 'latin1'));
    const zTXt = chunk('zTXt', Buffer.concat([Buffer.from('Software\0\0', 'latin1'), deflateSync(Buffer.from('atelier'))]));
    const bomb = chunk('zTXt', Buffer.concat([Buffer.from('Bomb\0\0', 'latin1'), deflateSync(Buffer.alloc(8 * 1024 * 1024, 0x41))]));
    const file = Buffer.concat([base.subarray(0, 33), tEXt, zTXt, bomb, base.subarray(33)]);
    const chunks = readTextChunks(file);
    expect(chunks.get('Comment')).toBe('hello');
    expect(chunks.get('Software')).toBe('atelier');
    expect(chunks.has('Bomb')).toBe(false);
  });

  it('refuses non-PNG input and bad keywords', async () => {
    expect(() => readTextChunks(Buffer.from('GIF89a not a png at all, padding padding padding'))).toThrow(/not a PNG/);
    expect(() => insertITxt(new Uint8Array(40), 'parameters', 'x')).toThrow(/not a PNG/);
    await expect(async () => insertITxt(await png(), '', 'x')).rejects.toThrow(/keyword/);
  });

  it('a truncated PNG yields what was readable, never a throw past the signature', async () => {
    const out = Buffer.from(insertITxt(await png(), 'parameters', 'hello'));
    expect(readTextChunks(out.subarray(0, out.length - 20)).get('parameters')).toBe('hello');
  });
});
