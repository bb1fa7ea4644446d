import { formatResult } from '../format/index.js';
import { errorInfo } from './dispatcher.js';
import type { EventLog } from './events.js';
import type { PreparedInvocation } from './prepare.js';
import { responseContent } from './response-content.js';
import type { BotOutcome } from './run-bot.js';
import { saveInvocation } from './session-state.js';
import type { InvokeResult } from './types.js';
import type { WiredInvocation } from './wiring.js';

/**
 * The last phase: the run's record. What leaves it (the result, HTTP answers, the state file) has its
 * secrets replaced, as events do; the record is saved, the last event sent, the result assembled.
 */
export function finishInvocation(prepared: PreparedInvocation, wired: WiredInvocation, outcome: BotOutcome, events: EventLog, startedMs: number): InvokeResult {
  const { config, bot, version, given, session, options } = prepared;
  const { dispatcher, run, invocationId, startedAt, llmReport } = wired;
  const status = outcome.failed ? 'failed' : 'completed';
  const error = outcome.failed ? events.redact(errorInfo(dispatcher.causeOf(outcome.failure))) : undefined;
  const output = outcome.failed ? undefined : events.redact(outcome.output);
  const answer = outcome.failed ? null : responseContent(output);
  if (output !== undefined) dispatcher.addMessage({ role: 'assistant', content: answer, bot_path: bot.key, kind: 'output' });
  const durationMs = performance.now() - startedMs;
  saveInvocation(
    config,
    {
      id: invocationId,
      sessionId: session.sessionId,
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
    result: { status, output, error },
    messages: [...dispatcher.messages],
    events: events.events,
    error,
    invocationId,
    sessionId: session.sessionId,
    bot: { key: bot.key, version },
    mode: config.mode,
    org: config.org,
    usage: { inputTokens: dispatcher.usage.inputTokens, outputTokens: dispatcher.usage.outputTokens },
    costUsd: dispatcher.usage.costUsd,
    durationMs,
    cache: { ...dispatcher.cacheCounters },
    llm: llmReport.list(),
  };
  return { ...result, formatted: formatResult(result, prepared.format, options.verbose) };
}
