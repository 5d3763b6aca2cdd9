/**
 * Control characters in prompts. A NUL or other control character cannot be typed on purpose; it comes
 * from a pasted or generated file, and it breaks things downstream (a NUL ends the PNG iTXt text for most
 * readers, losing seed, steps and model). Every entry point (CLI, palette, panel, canvas) is refused the
 * same way at the worker boundary, with the character and its position; tabs and line breaks are allowed.
 */

/** C0 controls except tab (U+0009) and line feed (U+000A), DEL, and the C1 controls U+0080–U+009F. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

export interface ControlCharacter {
  /** "U+0000" */
  readonly codePoint: string;
  /** 1-based position in characters (UTF-16 units, as editors count them for BMP text). */
  readonly position: number;
}

export function findControlCharacter(text: string): ControlCharacter | undefined {
  const match = CONTROL.exec(text);
  if (!match) return undefined;
  return { codePoint: `U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`, position: match.index + 1 };
}

/** "prompt contains the control character U+0000 at character 12; …", or undefined when the text is clean. */
export function controlCharacterProblem(what: string, text: string): string | undefined {
  const found = findControlCharacter(text);
  if (!found) return undefined;
  return `${what} contains the control character ${found.codePoint} at character ${found.position}; remove it (only tabs and line breaks are allowed in prompts)`;
}
