/** CLI argument parsing: decimal numbers only, no silently ignored flags, bad --control numbers named. */
import { describe, expect, it } from 'vitest';
import { parseCli, parseControl, parseLora, type GenerateArgs } from '../../src/cli/args';

const generate = (...extra: string[]): GenerateArgs => parseCli(['generate', 'cat', ...extra]) as GenerateArgs;

describe('numbers', () => {
  it.each([
    ['--steps', '0x10', 'a whole number'],
    ['--seed', '0x2A', 'a whole number'],
    ['--steps', '1e3', 'a whole number'],
    ['--width', '0b1000000000', 'a whole number'],
    ['--seed', '12.0', 'a whole number'],
    ['--guidance', '0x7', 'a number'],
    ['--guidance', 'Infinity', 'a number'],
    ['--mask-blur', ' ', 'a whole number'],
  ])('%s %j is refused', (flag, value, kind) => {
    expect(() => generate(flag, value)).toThrow(`${flag} must be ${kind}, got ${JSON.stringify(value)} (decimal digits only`);
  });

  it('decimal values still parse, including a negative seed (random) and a signed or exponent float', () => {
    expect(generate('--steps', '30', '--seed=-1', '--guidance', '7.5', '--width', '768')).toMatchObject({ steps: 30, seed: -1, guidance: 7.5, width: 768 });
    expect(generate('--guidance', '1e1').guidance).toBe(10);
    expect(generate('--seed', '4294967295').seed).toBe(4294967295);
  });

  it('--outpaint takes decimal whole numbers only', () => {
    expect(() => parseCli(['generate', 'x', '--init-image', 'a.png', '--outpaint', '0x8,0,0,0'])).toThrow('--outpaint takes four whole numbers');
    expect((parseCli(['generate', 'x', '--init-image', 'a.png', '--outpaint', '8, 0,16,0']) as GenerateArgs).outpaint).toEqual({ left: 8, right: 0, top: 16, bottom: 0 });
  });
});

describe('flags that would be ignored are refused', () => {
  it('--strength without --init-image', () => {
    expect(() => generate('--strength', '0.5')).toThrow('--strength needs --init-image');
    expect(parseCli(['generate', 'x', '--init-image', 'a.png', '--strength', '0.5'])).toMatchObject({ strength: 0.5 });
  });
});

describe('--control numbers', () => {
  it.each([
    ['depth=f.png:NaN', 'the scale "NaN" is not a decimal number'],
    ['depth=f.png:inf', 'the scale "inf" is not a decimal number'],
    ['depth=f.png:1.2.3', 'the scale "1.2.3" is not a decimal number'],
    ['depth=f.png:0x1', 'the scale "0x1" is not a decimal number'],
    ['depth=f.png:0.5:NaN:1', 'the start "NaN" is not a decimal number'],
    ['depth=f.png:0:1', 'give the scale before start:end'],
  ])('%s is refused', (text, message) => {
    expect(() => parseControl(text)).toThrow(message);
  });

  it.each([
    ['depth=shots:2024.png', { file: 'shots:2024.png', scale: 1 }],
    ['depth=f.png:.5', { file: 'f.png', scale: 0.5 }],
    ['canny=C:/x/e.png:0.5:0.1:0.9', { file: 'C:/x/e.png', scale: 0.5, start: 0.1, end: 0.9 }],
  ])('%s still parses', (text, expected) => {
    expect(parseControl(text)).toMatchObject(expected);
  });
});

describe('--lora', () => {
  it('takes a name and an optional trailing weight (names may hold colons)', () => {
    expect(parseLora('style/watercolor.safetensors')).toEqual({ name: 'style/watercolor.safetensors', weight: 1 });
    expect(parseLora('pixel:0.6')).toEqual({ name: 'pixel', weight: 0.6 });
    expect(parseLora('a:b.safetensors:-.5')).toEqual({ name: 'a:b.safetensors', weight: -0.5 });
    expect(parseLora('a:b.safetensors')).toEqual({ name: 'a:b.safetensors', weight: 1 });
    expect(() => parseLora(':0.5')).toThrow(/--lora takes <name>\[:weight\]/);
  });
});

describe('--int8', () => {
  it('is off unless given', () => {
    expect(generate().int8).toBe(false);
    expect(generate('--int8').int8).toBe(true);
    expect(() => generate('--int8=yes')).toThrow();
  });
});
