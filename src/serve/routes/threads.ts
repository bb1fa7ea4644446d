import { isRehearseError } from '../../errors.js';
import { getSession } from '../../sessions/index.js';
import type { SessionDetail } from '../../sessions/index.js';
import type { ServerContext } from '../context.js';
import { notFound } from '../../http/http-error.js';
import { sendJson } from '../../http/json.js';
import type { RouteHandler } from '../router.js';

/** `GET /v1/threads/{thread_id}`: the conversation of a session of the server's org, oldest message first. */
export function getThreadRoute(context: ServerContext): RouteHandler {
  return (request) => {
    const id = request.params.thread_id!;
    const { statePath, org } = context.settings.config;
    let session: SessionDetail | undefined;
    try {
      session = getSession(statePath, org, id);
    } catch (error) {
      // An id that could never name a session (a "..", a slash) is simply not there.
      if (!isRehearseError(error) || error.code !== 'USAGE') throw error;
    }
    if (!session) throw notFound('THREAD_NOT_FOUND', `No thread "${id}" in org ${org}. A thread is made by the first invocation that returns its thread_id.`);
    sendJson(request.res, 200, {
      thread_id: session.id,
      agent_id: session.botId,
      created_at: session.createdAt,
      updated_at: session.updatedAt,
      turns: session.turns,
      messages: session.messages.map((message) => ({ turn: message.turn, role: message.role, content: message.content, created_at: message.at })),
    });
  };
}
