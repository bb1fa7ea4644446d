import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../http/http-error.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'UNAUTHORIZED', message, { headers: { 'www-authenticate': 'Bearer' } });
}

/**
 * Checks `Authorization: Bearer <token>` when the server has tokens, and names the client for the
 * rate and concurrency limits: its token (hashed, never kept in clear), or its address when the
 * server has none. Digests of equal length compare in constant time, against every token.
 */
export function authenticate(req: IncomingMessage, tokens: readonly string[] | undefined): string {
  if (tokens === undefined) return `address:${req.socket.remoteAddress ?? 'unknown'}`;
  const header = req.headers.authorization;
  if (!header) throw unauthorized('This server needs a token: send the header "Authorization: Bearer <token>" (the REHEARSE_SERVER_TOKEN it was started with).');
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  const given = digest(match?.[1] ?? '');
  const known = tokens.map((token) => timingSafeEqual(given, digest(token))).includes(true);
  if (!match || !known) throw unauthorized('The bearer token is not valid.');
  return `token:${given.toString('hex').slice(0, 16)}`;
}
