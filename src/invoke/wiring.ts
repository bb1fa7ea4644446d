import { randomUUID } from 'node:crypto';
import { relative } from 'node:path';
import { LlmReport } from '../actions/llm/llm-report.js';
import { findBot } from '../bots/find.js';
import { isBot, type BotContext } from '../bots/types.js';
import { sharedStore } from '../cache/open.js';
import { ReplayCache } from '../cache/replay-cache.js';
import type { RunState } from '../modes/types.js';
import { createContext } from './context.js';
import { Dispatcher } from './dispatcher.js';
import type { EventLog } from './events.js';
import { checkDatasets, recordCommand } from './input.js';
import { createLiveContext } from './live-context.js';
import { llmParamsHook } from './llm-params-hook.js';
import type { PreparedInvocation } from './prepare.js';

/** A prepared invocation made ready to run: its id, the run's state, the dispatcher and the bot's context. */
export interface WiredInvocation {
  invocationId: string;
  startedAt: string;
  controller: AbortController;
  run: RunState;
  dispatcher: Dispatcher;
  context: BotContext;
  llmReport: LlmReport;
  /** Ends what the run opened (sandboxes, agents' endpoints, the cache's claims). */
  close(): Promise<void>;
}

/** The second phase: what a run needs while it goes (live executors, the cache, the dispatcher, the bot's context). */
export function wireInvocation(prepared: PreparedInvocation, events: EventLog): WiredInvocation {
  const { options, env, config, bot, version, mode, session, input, perRun, mocks, redactor } = prepared;
  const controller = new AbortController();
  const botPath = bot.key;
  const llmReport = new LlmReport(config.llm);
  const resources = createLiveContext({ config, env, signal: controller.signal, events, botPath, datasets: checkDatasets([...(bot.datasets ?? []), ...(options.datasets ?? [])]), sandboxDir: session.sandboxDir });
  const cache = mode.needs.cache ? new ReplayCache(sharedStore(config, env), config.org, redactor) : undefined;
  const run: RunState = {
    live: resources.live,
    cache,
    mocks,
    refresh: config.refresh,
    strict: config.strict,
    cachedActions: config.cachedActions,
    cacheIgnore: config.cacheIgnore,
    occurrences: new Map(),
    cacheHits: new Map(),
    maxAgeMs: config.cacheMaxAgeMs,
    cacheLabel: config.cacheUrl === undefined ? relative(config.cwd, config.cachePath) || config.cachePath : (cache?.store.location ?? ''),
    recordCommand: () => recordCommand(bot.key, input, config, options.sessionId, perRun.recordWords),
    ...(options.sessionId !== undefined && session.history.length > 0 && { conversation: { sessionId: options.sessionId, earlierMessages: session.history.length } }),
    prepareParams: llmParamsHook(perRun.overrides, botPath, llmReport),
  };
  const dispatcher = new Dispatcher(mode, run, events);
  const invocationId = `inv_${randomUUID()}`;
  const context = createContext(
    {
      invocationId,
      sessionId: session.sessionId,
      mode: config.mode,
      org: config.org,
      signal: controller.signal,
      bot: { id: bot.key, version, path: botPath },
      depth: 0,
      resolveBot: async (botOrKey) => (isBot(botOrKey) ? botOrKey : findBot(botOrKey, config)),
    },
    dispatcher,
    events,
  );
  return { invocationId, startedAt: new Date().toISOString(), controller, run, dispatcher, context, llmReport, close: () => resources.close() };
}
