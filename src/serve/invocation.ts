import type { ServerResponse } from 'node:http';
import type { Bot } from '../bots/types.js';
import { readJsonObject } from '../http/body.js';
import type { ServerContext } from './context.js';
import type { InvokeOptions } from '../invoke/types.js';
import { invokeOptionsFrom } from './invoke-request.js';
import type { RouteRequest } from './router.js';

export interface PreparedInvocation {
  bot: Bot;
  /** The request's options, with the server's org, cache, config, folder and environment over them. */
  options: InvokeOptions;
  /** Frees the client's concurrency slot; call it once the invocation has ended. */
  release: () => void;
}

/**
 * What the three invoke routes do before they run anything, cheapest refusal first: the rate limit,
 * the body (size, JSON), the agent, the body's fields, then a concurrency slot.
 */
export async function prepareInvocation(context: ServerContext, request: RouteRequest): Promise<PreparedInvocation> {
  context.rateLimiter?.take(request.client);
  const body = await readJsonObject(request.req, context.settings.maxBodyBytes);
  const bot = await context.bots.find(request.params.agent_id!);
  const options = invokeOptionsFrom(body, { allowFilePaths: context.settings.allowFilePaths });
  const release = context.concurrency?.acquire(request.client) ?? (() => {});
  return { bot, options: { ...options, ...context.settings.invocationDefaults }, release };
}

/** Aborts when the client goes away before its answer was written: nobody is left to read the result. */
export function abortWhenClientLeaves(res: ServerResponse): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new Error('The client disconnected.'));
  };
  res.once('close', onClose);
  return { signal: controller.signal, dispose: () => res.off('close', onClose) };
}
