import { randomUUID } from 'node:crypto';
import { relative, resolve } from 'node:path';
import { ReplayCache } from '../cache/replay-cache.js';
import { Redactor } from '../secrets/redactor.js';
import { sharedStore } from '../cache/open.js';
import { findBot } from '../bots/find.js';
import { isBot, type Bot } from '../bots/types.js';
import { botVersion } from '../bots/version.js';
import { resolveConfig } from '../config/resolve.js';
import { InvocationCancelledError, InvocationTimeoutError, UsageError } from '../errors.js';
import { checkFormat, formatResult } from '../format/index.js';
import { responseContent } from './response-content.js';
import { eventLine } from '../format/event-line.js';
import { loadMocksFile } from '../mocks/load.js';
import { MockServer } from '../mocks/mock-server.js';
import { Dispatcher, errorInfo } from './dispatcher.js';
import { modeNamed } from '../modes/index.js';
import type { RunState } from '../modes/types.js';
import '../actions/builtin.js';
import { createContext } from './context.js';
import { createLiveContext } from './live-context.js';
import { EventLog, type RehearseEvent } from './events.js';
import { botInput, checkDatasets, recordCommand } from './input.js';
import { LlmReport } from '../actions/llm/llm-report.js';
import { checkSerializable } from './output-check.js';
import { llmParamsHook } from './llm-params-hook.js';
import { perInvocationOptions } from './run-options.js';
import { openSession, saveInvocation } from './session-state.js';
import { streamInvocation } from './stream.js';
import type { InvokeOptions, InvokeResult, InvokeStream, StreamingInvokeOptions } from './types.js';

export const defaultTimeoutMs = 120_000;
export const maxTimeoutMs = 600_000;

function checkTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return defaultTimeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > maxTimeoutMs) {
    throw new UsageError(`timeoutMs is ${timeoutMs}; give a number of milliseconds above 0 and at most ${maxTimeoutMs}.`);
  }
  return timeoutMs;
}

/**
 * A caller's printEvents listener, kept from failing the run: an error it throws is reported once on
 * stderr, and it goes on getting the events (it used to fail the action under way).
 */
function guardedListener(listener: (event: RehearseEvent) => void): (event: RehearseEvent) => void {
  let reported = false;
  return (event) => {
    try {
      listener(event);
    } catch (error) {
      if (reported) return;
      reported = true;
      process.stderr.write(`rehearse: the printEvents listener threw on a ${event.type} event (${error instanceof Error ? error.message : String(error)}); the run goes on, and so do its events.\n`);
    }
  };
}

/** Rejects when the signal aborts, so a bot that ignores its signal still ends on time. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const abort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('The invocation was cancelled.'));
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
  });
}

/**
 * Runs a bot once, in the mode the options, the environment or the config choose, and returns its
 * result. With `stream: true` it returns the events as they happen instead, ending with the result.
 */
export function invoke(bot: Bot | string, options: StreamingInvokeOptions): InvokeStream;
export function invoke(bot: Bot | string, options?: InvokeOptions): Promise<InvokeResult>;
export function invoke(bot: Bot | string, options: InvokeOptions & { stream?: boolean } = {}): Promise<InvokeResult> | InvokeStream {
  if (options.stream) return streamInvocation((events) => runInvocation(bot, options, events));
  return runInvocation(bot, options, new EventLog());
}

async function runInvocation(botOrKey: Bot | string, options: InvokeOptions, events: EventLog): Promise<InvokeResult> {
  const started = performance.now();
  const env = options.env ?? process.env;
  const config = resolveConfig(options, env);
  const redactor = new Redactor(config.cacheRedact);
  events.redactWith(redactor);
  const format = checkFormat(options.format ?? 'events');
  const timeoutMs = checkTimeout(options.timeoutMs);
  const perRun = perInvocationOptions(options, config.cwd);
  if (!isBot(botOrKey) && typeof botOrKey !== 'string') throw new UsageError('invoke() takes a bot (from defineBot) or a bot key.');
  const bot = isBot(botOrKey) ? botOrKey : await findBot(botOrKey, config);
  const version = botVersion(bot);
  const mode = modeNamed(config.mode);
  const session = openSession(config, options.sessionId);
  const given = botInput(options);
  const input = { ...given, ...perRun.input, messages: [...session.history, ...given.messages] };
  const mocks = !mode.needs.mocks
    ? undefined
    : typeof options.mocks === 'string'
      ? new MockServer(loadMocksFile(resolve(config.cwd, options.mocks)), options.mocks)
      : new MockServer(options.mocks ?? {}, 'the mocks option (or a file given with --mocks)');

  if (options.printEvents === true) events.subscribe((event) => process.stderr.write(`${eventLine(event)}\n`));
  else if (typeof options.printEvents === 'function') events.subscribe(guardedListener(options.printEvents));

  const invocationId = `inv_${randomUUID()}`;
  const { sessionId } = session;
  const startedAt = new Date().toISOString();
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
  const context = createContext(
    {
      invocationId,
      sessionId,
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

  events.emit({ type: 'invocation.started', at: Date.now(), invocation_id: invocationId, session_id: sessionId, bot_id: bot.key, bot_version: version, mode: config.mode, org: config.org });
  if (options.mocks !== undefined && !mode.needs.mocks) run.live.warn(`Mocks are only used in manual mode; this run is in ${config.mode} mode.`);
  if (input.prompt) dispatcher.addMessage({ role: 'user', content: input.prompt, bot_path: botPath, kind: 'input' });

  // The clock starts only now, with the `finally` that stops it: a step above that throws (a dataset
  // that does not exist, say) must end the process at once, not after the whole timeout.
  const timer = setTimeout(() => controller.abort(new InvocationTimeoutError(timeoutMs)), timeoutMs);
  const cancel = () => controller.abort(new InvocationCancelledError(options.signal?.reason));
  options.signal?.addEventListener('abort', cancel, { once: true });
  if (options.signal?.aborted) cancel();
  let output: unknown;
  // A flag beside the value: a bot may `throw undefined`, and that is a failure too.
  let failed = false;
  let failure: unknown;
  try {
    if (controller.signal.aborted) throw controller.signal.reason;
    await run.cache?.store.check();
    output = await Promise.race([Promise.resolve(bot.run(input, context)), untilAborted(controller.signal)]);
    // Calls the bot stopped listening to finish (and are recorded) before the cache closes; a
    // timeout or cancel still cuts them off.
    await Promise.race([dispatcher.idle(), untilAborted(controller.signal).catch(() => undefined)]);
    checkSerializable(output);
    perRun.checkOutput?.(output);
  } catch (error) {
    failed = true;
    failure = error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', cancel);
    await resources.close();
  }

  const status = failed ? 'failed' : 'completed';
  // What leaves the run (the result, HTTP answers, the state file) has its secrets replaced, as events do.
  const error = failed ? events.redact(errorInfo(dispatcher.causeOf(failure))) : undefined;
  const safeOutput = status === 'completed' ? events.redact(output) : undefined;
  const answer = status === 'completed' ? responseContent(safeOutput) : null;
  if (safeOutput !== undefined) dispatcher.addMessage({ role: 'assistant', content: answer, bot_path: botPath, kind: 'output' });
  const durationMs = performance.now() - started;
  saveInvocation(
    config,
    {
      id: invocationId,
      sessionId,
      botId: bot.key,
      botVersion: version,
      mode: config.mode,
      status,
      inputTokens: dispatcher.usage.inputTokens,
      outputTokens: dispatcher.usage.outputTokens,
      costUsd: dispatcher.usage.costUsd,
      savedCostUsd: dispatcher.cacheCounters.savedCostUsd,
      durationMs,
      error: error ? `${error.code}: ${error.message}` : null,
      startedAt,
      prompt: events.redact(given.prompt),
      answer,
      events: events.events,
      cacheHits: run.cacheHits,
    },
    run.live.warn,
  );
  events.emit({ type: 'invocation.completed', at: Date.now(), invocation_id: invocationId, status, duration_ms: durationMs, ...(error && { error }) });
  events.close();

  const result: Omit<InvokeResult, 'formatted'> = {
    success: status === 'completed',
    status,
    result: { status, output: safeOutput, error },
    messages: [...dispatcher.messages],
    events: events.events,
    error,
    invocationId,
    sessionId,
    bot: { key: bot.key, version },
    mode: config.mode,
    org: config.org,
    usage: { inputTokens: dispatcher.usage.inputTokens, outputTokens: dispatcher.usage.outputTokens },
    costUsd: dispatcher.usage.costUsd,
    durationMs,
    cache: { ...dispatcher.cacheCounters },
    llm: llmReport.list(),
  };
  return { ...result, formatted: formatResult(result, format, options.verbose) };
}
