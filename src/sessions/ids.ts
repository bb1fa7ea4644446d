import { dirname, join, resolve } from 'node:path';
import { checkOrg } from '../config/resolve.js';
import { UsageError } from '../errors.js';

/** Letters, digits, `.`, `_`, `-`; not starting with a dot; at most 128. Used as a folder name. */
const sessionIdPattern = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** A session id is a folder name (its sandbox): anything else is refused before it reaches a path or the file. */
export function checkSessionId(sessionId: string): string {
  if (typeof sessionId !== 'string' || !sessionIdPattern.test(sessionId) || sessionId.includes('..')) {
    throw new UsageError(`Session id "${String(sessionId)}" is not valid: use letters, digits, ".", "_" or "-" (at most 128, no "..", not starting with ".").`, {
      hint: 'Leave the session id out to start a new session; rehearse makes one (sess_<uuid>) and returns it in the result.',
    });
  }
  return sessionId;
}

/**
 * The folder a session's code runs in, kept between its invocations:
 * `<folder of the state file>/sandboxes/<org>/<sessionId>`. Only the path: the caller creates it.
 */
export function sessionSandboxDir(statePath: string, org: string, sessionId: string): string {
  return join(dirname(resolve(statePath)), 'sandboxes', checkOrg(org), checkSessionId(sessionId));
}
