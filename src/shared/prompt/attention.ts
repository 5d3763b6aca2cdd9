/**
 * A1111 prompt attention syntax (its `parse_prompt_attention`), shared by the token counter and the
 * text encoding so both see the same tokens:
 *   (text) ×1.1, ((text)) ×1.21, (text:1.3) ×1.3, [text] ÷1.1, \( \) \[ \] \\ literal, BREAK a new chunk.
 * As in A1111: an unmatched `)` or `]` is literal text; a bracket never closed applies its factor to
 * the end of the prompt; a lone backslash vanishes; adjacent pieces of equal weight merge into one
 * (which changes how they tokenize, exactly as in A1111). One deliberate difference: BREAK inside
 * brackets still breaks (A1111 multiplies its marker's weight and then encodes the word "break").
 */

export type PromptPiece =
  | { readonly kind: 'text'; readonly text: string; readonly weight: number }
  | { readonly kind: 'break' };

const ROUND = 1.1;
const SQUARE = 1 / 1.1;
/** `:1.3)` closing a round bracket with an explicit weight; spaces allowed around the number. */
const EXPLICIT_WEIGHT = /^:\s*([+-]?[.\d]+)\s*\)/;
const BREAK = /\s*\bBREAK\b\s*/;
/** A run of plain characters: everything but \ ( ) [ ] : */
const PLAIN = /^[^\\()[\]:]+/;

interface MutablePiece {
  kind: 'text' | 'break';
  text: string;
  weight: number;
}

export function parsePromptAttention(prompt: string): PromptPiece[] {
  const pieces: MutablePiece[] = [];
  const round: number[] = [];
  const square: number[] = [];
  // Multiplies every piece from `start` on, in place and in the order brackets close, so the floats
  // come out as A1111's do (1.3·1.1·1.1 = 1.5730000000000004).
  const multiplyFrom = (start: number, factor: number): void => {
    for (let i = start; i < pieces.length; i++) if (pieces[i].kind === 'text') pieces[i].weight *= factor;
  };
  const addText = (text: string): void => {
    text.split(BREAK).forEach((part, i) => {
      if (i > 0) pieces.push({ kind: 'break', text: '', weight: 1 });
      pieces.push({ kind: 'text', text: part, weight: 1 });
    });
  };

  let at = 0;
  while (at < prompt.length) {
    const rest = prompt.slice(at);
    const c = prompt[at];
    if (c === '\\') {
      const next = prompt[at + 1];
      if (next !== undefined && '()[]\\'.includes(next)) {
        pieces.push({ kind: 'text', text: next, weight: 1 });
        at += 2;
      } else {
        at += 1;
      }
      continue;
    }
    if (c === '(') {
      round.push(pieces.length);
      at += 1;
      continue;
    }
    if (c === '[') {
      square.push(pieces.length);
      at += 1;
      continue;
    }
    if (c === ':') {
      const explicit = EXPLICIT_WEIGHT.exec(rest);
      const weight = explicit ? Number(explicit[1]) : NaN;
      if (explicit && round.length > 0 && Number.isFinite(weight)) {
        multiplyFrom(round.pop() as number, weight);
        at += explicit[0].length;
      } else if (explicit) {
        addText(explicit[0]);
        at += explicit[0].length;
      } else {
        addText(':');
        at += 1;
      }
      continue;
    }
    if (c === ')' && round.length > 0) {
      multiplyFrom(round.pop() as number, ROUND);
      at += 1;
      continue;
    }
    if (c === ']' && square.length > 0) {
      multiplyFrom(square.pop() as number, SQUARE);
      at += 1;
      continue;
    }
    if (c === ')' || c === ']') {
      addText(c);
      at += 1;
      continue;
    }
    const plain = PLAIN.exec(rest);
    const run = plain ? plain[0] : c;
    addText(run);
    at += run.length;
  }
  for (const start of round) multiplyFrom(start, ROUND);
  for (const start of square) multiplyFrom(start, SQUARE);

  const merged: MutablePiece[] = [];
  for (const piece of pieces.length > 0 ? pieces : [{ kind: 'text' as const, text: '', weight: 1 }]) {
    const last = merged[merged.length - 1];
    if (last && last.kind === 'text' && piece.kind === 'text' && last.weight === piece.weight) last.text += piece.text;
    else merged.push({ ...piece });
  }
  return merged.map((p) => (p.kind === 'break' ? { kind: 'break' } : { kind: 'text', text: p.text, weight: p.weight }));
}

/** True when the prompt uses no weighting or BREAK, so it encodes exactly as plain text. */
export function isPlainPrompt(pieces: readonly PromptPiece[]): boolean {
  return pieces.every((p) => p.kind === 'text' && p.weight === 1);
}
