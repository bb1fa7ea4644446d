import type { ServerContext } from '../context.js';
import { sendJson } from '../../http/json.js';
import { Router } from '../router.js';
import { listAgentsRoute } from './agents.js';
import { invokeAsyncRoute } from './invoke-async.js';
import { invokeStreamRoute } from './invoke-stream.js';
import { invokeRoute } from './invoke.js';
import { getTaskRoute, stopTaskRoute } from './tasks.js';
import { getThreadRoute } from './threads.js';

/** Every endpoint of the API. */
export function apiRoutes(context: ServerContext): Router {
  return new Router()
    .add('GET', '/health', ({ res }) => sendJson(res, 200, { status: 'ok' }), { public: true })
    .add('GET', '/v1/agents', listAgentsRoute(context))
    .add('POST', '/v1/agents/:agent_id/invoke', invokeRoute(context))
    .add('POST', '/v1/agents/:agent_id/invoke/stream', invokeStreamRoute(context))
    .add('POST', '/v1/agents/:agent_id/invoke/async', invokeAsyncRoute(context))
    .add('GET', '/v1/tasks/:task_id', getTaskRoute(context))
    .add('POST', '/v1/tasks/:task_id/stop', stopTaskRoute(context))
    .add('GET', '/v1/threads/:thread_id', getThreadRoute(context));
}
