import { invoke } from '../../invoke/invoke.js';
import type { ServerContext } from '../context.js';
import { abortWhenClientLeaves, prepareInvocation } from '../invocation.js';
import { invokeResponseBody } from '../invoke-response.js';
import { sendJson } from '../../http/json.js';
import type { RouteHandler } from '../router.js';

/**
 * `POST /v1/agents/{agent_id}/invoke`: runs the agent and answers when it ends. A failed invocation is
 * still a 200 (the request was valid and the run happened) with `status: "failed"` and its `error`.
 */
export function invokeRoute(context: ServerContext): RouteHandler {
  return async (request) => {
    const prepared = await prepareInvocation(context, request);
    const client = abortWhenClientLeaves(request.res);
    try {
      const result = await invoke(prepared.bot, { ...prepared.options, signal: AbortSignal.any([context.closing, client.signal]) });
      sendJson(request.res, 200, invokeResponseBody(result, request.requestId, prepared.options));
    } finally {
      client.dispose();
      prepared.release();
    }
  };
}
