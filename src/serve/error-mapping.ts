import { BotNotFoundError, isRehearseError } from '../errors.js';
import { Redactor } from '../secrets/redactor.js';
import { HttpError } from '../http/http-error.js';

/** An error's text may quote what a client sent (a key in a prompt, a token in a URL): replaced in answers and in the log. */
const secrets = new Redactor();

/**
 * Engine errors that mean the request asked for something wrong (a bad session id, timeout or dataset
 * slug, malformed mocks): the client can fix them, so they are a 400 with the engine's own message.
 * Every other error is the server's fault (its config, its state file, a bug): a 500 whose details
 * stay in the server's log.
 */
const clientErrorCodes = new Set(['USAGE', 'MOCKS_INVALID', 'DATASET_NOT_FOUND']);

export function toHttpError(error: unknown, requestId: string, log: (line: string) => void): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof BotNotFoundError) {
    const known = error.knownKeys.length ? error.knownKeys.join(', ') : '(none)';
    return new HttpError(404, 'AGENT_NOT_FOUND', `No agent "${error.botKey}". Known agents: ${known}.`);
  }
  if (isRehearseError(error) && clientErrorCodes.has(error.code)) {
    return new HttpError(400, 'INVALID_REQUEST', secrets.scrub(error.hint ? `${error.message} ${error.hint}` : error.message));
  }
  const detail = secrets.scrub(error instanceof Error ? (error.stack ?? error.message) : String(error));
  log(`rehearse serve: internal error in request ${requestId}: ${detail}`);
  return new HttpError(500, 'INTERNAL_ERROR', `The server failed to handle the request; its log has the details (request ${requestId}).`);
}
