import type { IncomingMessage } from 'node:http';
import { badRequest, HttpError } from './http-error.js';

export const defaultMaxBodyBytes = 1024 * 1024;

function tooLarge(maxBytes: number): HttpError {
  // The rest of the body is never read, so the connection cannot carry another request.
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `The body is larger than the limit of ${maxBytes} bytes.`, { headers: { connection: 'close' } });
}

/** Reads the whole body, refusing (and no longer reading) one above `maxBytes`: by its Content-Length if it has one, else as it arrives. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** The body as a JSON object; anything else (empty, not JSON, an array) is a 400 INVALID_REQUEST. */
export async function readJsonObject(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const text = (await readBody(req, maxBytes)).toString('utf8');
  if (text.trim() === '') throw badRequest('The body is empty; send a JSON object, e.g. {"query": "Hello"}.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest(`The body is not valid JSON: ${(error as Error).message}${sentAs(req)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest('The body must be a JSON object, e.g. {"query": "Hello"}.');
  if (deeperThan(value, maxDepth)) throw badRequest(`The body is nested more than ${maxDepth} levels deep; inputs and mocks need far fewer. Flatten it.`);
  return value as Record<string, unknown>;
}

/**
 * A body sent as a form or as text (curl -d without -H) is still read as JSON when it is JSON; when it
 * is not, the Content-Type it came with is the likely mistake, so the message names it.
 */
function sentAs(req: IncomingMessage): string {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type === undefined || type === '' || type === 'application/json' || type.endsWith('+json')) return '';
  return `. It was sent as Content-Type: ${type}; send a JSON object with Content-Type: application/json.`;
}

/** Deeper JSON is refused: validating it recursively (a mock matcher 100,000 levels deep) overflowed the stack into a 500. */
const maxDepth = 100;

/** Whether a parsed JSON value nests deeper than `limit`, measured without recursion. */
function deeperThan(root: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[root, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  return false;
}
