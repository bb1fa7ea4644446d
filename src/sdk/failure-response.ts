import { ActionFailedError, isRehearseError, ProviderError, ProviderStreamError, ProviderTimeoutError, ProviderUnreachableError } from '../errors.js';
import type { WireCodec } from '../wire/types.js';

/** SDKs retry 429s, 5xx and dropped connections; rehearse has already retried a live call, and a strict miss will not pass on a retry. */
const noRetry = { 'x-should-retry': 'false' };

function statusOf(error: unknown): number {
  if (error instanceof ProviderError) return error.status;
  if (error instanceof ActionFailedError && error.httpStatus !== undefined) return error.httpStatus;
  if (error instanceof ActionFailedError) return 500; // a mocked failure without a status: the provider failed
  if (error instanceof ProviderTimeoutError) return 504;
  if (error instanceof ProviderUnreachableError || error instanceof ProviderStreamError) return 502;
  if (isRehearseError(error)) return 400; // a strict miss, a missing mock, params rehearse cannot take
  return 500;
}

/**
 * The HTTP answer an SDK gets when its call failed: the provider's own error body when the provider
 * sent one, else that API's error shape carrying rehearse's message (with its hint), so the SDK
 * raises its usual typed error and the message says what to do.
 */
export function failureResponse(codec: WireCodec, error: unknown): Response {
  const status = statusOf(error);
  const headers = { 'content-type': 'application/json', ...noRetry };
  if (error instanceof ProviderError && error.body) return new Response(error.body, { status, headers });
  // A mocked failure reads as the provider's would: its own message and code, no rehearse preamble.
  if (error instanceof ActionFailedError && error.source === 'mock') {
    return new Response(JSON.stringify(codec.errorBody(status, error.detail, error.errorCode ?? 'mocked_error')), { status, headers });
  }
  const code = isRehearseError(error) ? error.code : 'INTERNAL_ERROR';
  const message = isRehearseError(error) ? error.describe() : `rehearse failed to answer this call: ${(error as Error).message ?? String(error)}`;
  return new Response(JSON.stringify(codec.errorBody(status, message, code)), { status, headers });
}
