import type { ServerResponse } from 'node:http';
import type { HttpError } from './http-error.js';
import type { ErrorBody } from './types.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function errorBody(error: HttpError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      status: error.status,
      ...(error.retryAfterSeconds !== undefined && { retry_after: error.retryAfterSeconds }),
    },
  };
}

export function sendError(res: ServerResponse, error: HttpError): void {
  // Once a stream has begun its status line is gone; the stream handler reports the error in the stream.
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, error.status, errorBody(error), error.headers);
}
