import { invoke } from '../../invoke/invoke.js';
import type { StreamItem } from '../../invoke/types.js';
import type { ServerContext } from '../context.js';
import { toHttpError } from '../error-mapping.js';
import { abortWhenClientLeaves, prepareInvocation } from '../invocation.js';
import { invokeResponseBody } from '../invoke-response.js';
import { errorBody } from '../respond.js';
import type { RouteHandler } from '../router.js';
import { openEventStream } from '../sse.js';

/**
 * `POST /v1/agents/{agent_id}/invoke/stream`: each event as it happens (`event: <type>`), then
 * `event: result` with the sync answer, then `event: done`. The stream opens only once the
 * invocation has started, so a request it cannot start gets an ordinary JSON error and status.
 * A client that disconnects cancels the invocation.
 */
export function invokeStreamRoute(context: ServerContext): RouteHandler {
  return async (request) => {
    const prepared = await prepareInvocation(context, request);
    const client = abortWhenClientLeaves(request.res);
    try {
      const stream = invoke(prepared.bot, { ...prepared.options, stream: true, signal: AbortSignal.any([context.closing, client.signal]) });
      const items = stream[Symbol.asyncIterator]();
      // Thrown before the first event: a bad session id, timeout or mocks. Still a JSON answer.
      const first = await items.next();
      const events = openEventStream(request.res);
      try {
        for (let item: IteratorResult<StreamItem> = first; !item.done; item = await items.next()) {
          if (item.value.type === 'result') events.send('result', invokeResponseBody(item.value.result, request.requestId, prepared.options));
          else events.send(item.value.type, item.value);
        }
        events.send('done', { id: request.requestId });
      } catch (error) {
        events.send('error', errorBody(toHttpError(error, request.requestId, context.settings.log)));
      } finally {
        events.end();
      }
    } finally {
      client.dispose();
      prepared.release();
    }
  };
}
