/** Errors as a coding agent reads them: what went wrong, in the user's terms, and what to do next. */
import { toErrorInfo } from '../../shared/errors';
import { describeForUser } from '../errors/userMessage';

/** A tool input the agent can fix: names the field, the value and the fix. */
export class ToolInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ToolInputError';
  }
}

/**
 * The text a tool returns for a failure (tools return errors as text, not as thrown errors). Request
 * problems in fields the agent gave are worded as its input; the rest with the host's own wording.
 */
export function toolErrorText(tool: string, error: unknown, inputFields: readonly string[] = []): string {
  if (error instanceof ToolInputError) return `${tool} was not run: invalid input "${error.field}": ${error.message}. Fix the input and call the tool again.`;
  const info = toErrorInfo(error);
  if (info.code === 'CANCELLED') return `${tool} was cancelled; no file was written.`;
  if (info.code === 'INVALID_INPUT' && info.argument !== undefined && inputFields.includes(info.argument)) {
    return `${tool} was not run: invalid input "${info.argument}": ${info.message}. Fix the input and call the tool again.`;
  }
  const { message } = describeForUser(info);
  const settings = info.code === 'INVALID_INPUT' ? ' The problem is in the user\'s Atelier settings, not in your input: tell the user.' : '';
  return `${tool} failed: ${message}${settings} No file was written.`;
}
