/**
 * Small checks for messages that arrive from a webview. Script in a webview is treated as untrusted:
 * every field is checked for type, range and size before the host acts on it.
 */
export class InvalidMessage extends Error {}

export type Fields = Readonly<Record<string, unknown>>;

export function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidMessage(`${what} must be an object`);
  return value as Fields;
}

export function text(value: unknown, what: string, maxLength: number): string {
  if (typeof value !== 'string') throw new InvalidMessage(`${what} must be a string`);
  if (value.length > maxLength) throw new InvalidMessage(`${what} is ${value.length} characters; the limit is ${maxLength}`);
  return value;
}

export function finite(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidMessage(`${what} must be a finite number, got ${String(value)}`);
  if (value < min || value > max) throw new InvalidMessage(`${what} must be in [${min}, ${max}], got ${value}`);
  return value;
}

export function integer(value: unknown, what: string, min: number, max: number): number {
  const n = finite(value, what, min, max);
  if (!Number.isInteger(n)) throw new InvalidMessage(`${what} must be an integer, got ${n}`);
  return n;
}

export function bool(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new InvalidMessage(`${what} must be true or false`);
  return value;
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new InvalidMessage(`${what} must be one of ${allowed.join(', ')}, got ${String(value)}`);
  return value as T;
}

export function bytes(value: unknown, what: string, length: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidMessage(`${what} must be a Uint8Array`);
  if (value.length !== length) throw new InvalidMessage(`${what} has ${value.length} bytes; expected ${length}`);
  return value;
}

export function list(value: unknown, what: string, maxLength: number): readonly unknown[] {
  if (!Array.isArray(value)) throw new InvalidMessage(`${what} must be a list`);
  if (value.length > maxLength) throw new InvalidMessage(`${what} has ${value.length} entries; the limit is ${maxLength}`);
  return value;
}
