/** `org/name[@revision]` parsing with the Hub's naming rules; anything else is refused before a request. */
import { PipelineError } from '../../../shared/errors';

export interface RepoRef {
  readonly repo: string;
  /** Branch, tag, `refs/pr/N` or a 40-hex commit; `main` when none is given. */
  readonly revision: string;
}

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_-])?$/;
const COMMIT = /^[0-9a-f]{40}$/;
const REF = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

export function isCommit(revision: string): boolean {
  return COMMIT.test(revision);
}

export function checkRevision(revision: string): string {
  const problem =
    revision.length === 0 || revision.length > 200
      ? 'it is empty or too long'
      : !REF.test(revision)
        ? 'it contains characters a branch or tag cannot have'
        : revision.split('/').some((part) => part === '..' || part === '.' || part.endsWith('.lock'))
          ? 'it contains a "." or ".." segment'
          : /^[0-9a-f]{7,39}$/.test(revision)
            ? 'it looks like a shortened commit; use the full 40-character hash'
            : undefined;
  if (problem) {
    throw new PipelineError('INVALID_INPUT', `revision ${JSON.stringify(revision)} is not a branch, tag or 40-hex commit: ${problem}`, { argument: 'revision' });
  }
  return revision;
}

export function parseRepoRef(input: string): RepoRef {
  const trimmed = input.trim();
  const at = trimmed.indexOf('@');
  const repo = at >= 0 ? trimmed.slice(0, at) : trimmed;
  const revision = at >= 0 ? trimmed.slice(at + 1) : 'main';
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((p) => NAME.test(p)) || parts.some((p) => p.includes('..'))) {
    throw new PipelineError('INVALID_INPUT', `repo id must look like "org/name" (letters, digits, ".", "_", "-"), got ${JSON.stringify(repo)}`, { argument: 'repo' });
  }
  return { repo, revision: checkRevision(revision) };
}
