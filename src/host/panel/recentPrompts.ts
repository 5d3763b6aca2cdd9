/** Most-recent-first prompt history, de-duplicated and bounded (stored in globalState). */
export const MAX_RECENT_PROMPTS = 20;

export function withRecentPrompt(history: readonly string[], prompt: string): string[] {
  const trimmed = prompt.trim();
  if (trimmed === '') return [...history];
  return [trimmed, ...history.filter((p) => p !== trimmed)].slice(0, MAX_RECENT_PROMPTS);
}

export function readRecentPrompts(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').slice(0, MAX_RECENT_PROMPTS) : [];
}
