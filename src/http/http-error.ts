/**
 * An answer other than success, thrown from anywhere in a request's handling. The server turns it into
 * `{ error: { code, message, status } }` in one place (src/serve/respond.ts); the agents' endpoint
 * answers it in the providers' own error shape.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds until a retry may succeed: the body's `retry_after` and the `Retry-After` header. */
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, extra: { retryAfterSeconds?: number; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = extra.retryAfterSeconds;
    this.headers = extra.headers ?? {};
  }
}

export function badRequest(message: string): HttpError {
  return new HttpError(400, 'INVALID_REQUEST', message);
}

export function missingField(field: string, message: string): HttpError {
  return new HttpError(400, 'MISSING_REQUIRED_FIELD', message.includes(field) ? message : `${field}: ${message}`);
}

export function notFound(code: string, message: string): HttpError {
  return new HttpError(404, code, message);
}

export function tooManyRequests(message: string, retryAfterSeconds: number): HttpError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new HttpError(429, 'RATE_LIMIT_EXCEEDED', message, { retryAfterSeconds: seconds, headers: { 'retry-after': String(seconds) } });
}
