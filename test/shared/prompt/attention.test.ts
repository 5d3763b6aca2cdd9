import { describe, expect, it } from 'vitest';
import { isPlainPrompt, parsePromptAttention, type PromptPiece } from '../../../src/shared/prompt/attention';

/** [text, weight] pairs, BREAK as ['BREAK', -1] the way A1111's docstring writes them. */
function pairs(prompt: string): Array<[string, number]> {
  return parsePromptAttention(prompt).map((p: PromptPiece) => (p.kind === 'break' ? ['BREAK', -1] : [p.text, p.weight]));
}

describe('parsePromptAttention: the examples A1111 documents for parse_prompt_attention', () => {
  it('plain text is one piece of weight 1', () => {
    expect(pairs('normal text')).toEqual([['normal text', 1]]);
  });
  it('(word) is ×1.1', () => {
    expect(pairs('an (important) word')).toEqual([['an ', 1], ['important', 1.1], [' word', 1]]);
  });
  it('an unclosed bracket weights to the end', () => {
    expect(pairs('(unbalanced')).toEqual([['unbalanced', 1.1]]);
  });
  it('escaped brackets are literal', () => {
    expect(pairs('\\(literal\\]')).toEqual([['(literal]', 1]]);
  });
  it('adjacent pieces of the same weight merge', () => {
    expect(pairs('(unnecessary)(parens)')).toEqual([['unnecessaryparens', 1.1]]);
  });
  it('nested, explicit, square and unbalanced weights, with A1111\'s exact floats', () => {
    expect(pairs('a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).')).toEqual([
      ['a ', 1],
      ['house', 1.5730000000000004],
      [' ', 1.1],
      ['on', 1],
      [' a ', 1.1],
      ['hill', 0.55],
      [', sun, ', 1.1],
      ['sky', 1.4641000000000006],
      ['.', 1.1],
    ]);
  });
});

describe('parsePromptAttention: the rest of the syntax', () => {
  it('((word)) is ×1.21, [word] ÷1.1, [[word]] ÷1.21', () => {
    expect(pairs('((a))')).toEqual([['a', 1.1 * 1.1]]);
    expect(pairs('x [b]')).toEqual([['x ', 1], ['b', 1 / 1.1]]);
    expect(pairs('[[c]]')).toEqual([['c', 1 / 1.1 / 1.1]]);
  });
  it('(word:1.3) allows spaces and signs; a weight outside round brackets is literal text', () => {
    expect(pairs('(cat : 1.3 )')).toEqual([['cat ', 1.3]]);
    expect(pairs('(cat:-0.5)')).toEqual([['cat', -0.5]]);
    expect(pairs('cat:1.3) dog')).toEqual([['cat:1.3) dog', 1]]);
    expect(pairs('[cat:1.3]')).toEqual([['cat:1.3', 1 / 1.1]]);
  });
  it('a colon without a weight is text', () => {
    expect(pairs('ratio: high (x:y)')).toEqual([['ratio: high ', 1], ['x:y', 1.1]]);
  });
  it('unmatched closers are literal; unclosed [ weights to the end', () => {
    expect(pairs('a) b]')).toEqual([['a) b]', 1]]);
    expect(pairs('a [b')).toEqual([['a ', 1], ['b', 1 / 1.1]]);
  });
  it('\\\\ is a literal backslash; a lone backslash vanishes', () => {
    expect(pairs('a\\\\b')).toEqual([['a\\b', 1]]);
    expect(pairs('a\\b')).toEqual([['ab', 1]]);
  });
  it('BREAK (a whole word, upper case) starts a new chunk and eats the spaces around it', () => {
    expect(pairs('a cat BREAK a dog')).toEqual([['a cat', 1], ['BREAK', -1], ['a dog', 1]]);
    expect(pairs('BREAKFAST break')).toEqual([['BREAKFAST break', 1]]);
    expect(pairs('(red BREAK blue)')).toEqual([['red', 1.1], ['BREAK', -1], ['blue', 1.1]]);
  });
  it('an empty prompt is one empty piece', () => {
    expect(pairs('')).toEqual([['', 1]]);
  });
  it('isPlainPrompt: true only without weights and BREAK', () => {
    expect(isPlainPrompt(parsePromptAttention('a cat, 4k'))).toBe(true);
    expect(isPlainPrompt(parsePromptAttention('a (cat:1.0)'))).toBe(true);
    expect(isPlainPrompt(parsePromptAttention('a (cat)'))).toBe(false);
    expect(isPlainPrompt(parsePromptAttention('a BREAK cat'))).toBe(false);
  });
});
