import type { ServerResponse } from 'node:http';
import type { HttpError } from '../http/http-error.js';
import { sendJson } from '../http/json.js';
import type { ErrorBody } from './types.js';

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
