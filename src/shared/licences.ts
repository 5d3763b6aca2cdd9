/**
 * Licence policy for models Atelier ships or converts: only licences that allow redistribution and
 * commercial use go in without a flag. Anything else must carry a written flag that users see.
 */
export const PERMISSIVE_LICENCES = ['MIT', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', 'ISC', 'CC0-1.0', 'Unlicense', 'CC-BY-4.0'] as const;

/** Why a licence cannot be shipped as is (undefined when it can, or when it is flagged with a reason). */
export function licenceProblem(licence: string, flagged?: string): string | undefined {
  if ((PERMISSIVE_LICENCES as readonly string[]).includes(licence)) return undefined;
  if (flagged && flagged.trim() !== '') return undefined;
  return `licence ${licence} is not one of ${PERMISSIVE_LICENCES.join(', ')}: it may forbid redistribution or commercial use, so the entry must say so in "flagged" (or not be added)`;
}
