import { botVersion } from '../../bots/version.js';
import type { ServerContext } from '../context.js';
import { sendJson } from '../../http/json.js';
import type { RouteHandler } from '../router.js';

/** `GET /v1/agents`: the bots of the config's bot files, by key. */
export function listAgentsRoute(context: ServerContext): RouteHandler {
  return async (request) => {
    const bots = [...(await context.bots.all()).values()].sort((a, b) => a.key.localeCompare(b.key));
    sendJson(request.res, 200, { agents: bots.map((bot) => ({ key: bot.key, description: bot.description ?? '', version: botVersion(bot) })) });
  };
}
