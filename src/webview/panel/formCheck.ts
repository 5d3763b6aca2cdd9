/**
 * Checks the panel's typed-in numbers before they are sent, with messages that name the field, the
 * value and the fix. Nothing is clamped or rounded silently. Pure.
 */
export interface NumberField {
  readonly name: string;
  readonly raw: string;
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
  readonly multipleOf?: number;
}

export function checkNumber(field: NumberField): { value: number } | { error: string } {
  const value = Number(field.raw.trim());
  if (field.raw.trim() === '' || !Number.isFinite(value)) return { error: `${field.name} must be a number, got "${field.raw}"` };
  if (field.integer && !Number.isInteger(value)) return { error: `${field.name} must be a whole number, got ${value}` };
  if (value < field.min || value > field.max) return { error: `${field.name} must be from ${field.min} to ${field.max}, got ${value}` };
  if (field.multipleOf && value % field.multipleOf !== 0) {
    const below = value - (value % field.multipleOf);
    return { error: `${field.name} must be a multiple of ${field.multipleOf}, got ${value} (try ${below} or ${below + field.multipleOf})` };
  }
  return { value };
}

export const SIZE_PRESETS: readonly (readonly [number, number])[] = [
  [512, 512],
  [768, 768],
  [512, 768],
  [768, 512],
  [640, 384],
  [384, 640],
  [1024, 1024],
];
