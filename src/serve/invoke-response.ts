import type { InvokeOptions, InvokeResult } from '../invoke/types.js';
import type { InvokeResponseBody } from './types.js';

/** Money rounded to a millionth of a cent and seconds to a microsecond: no float noise in the JSON. */
const round = (value: number, digits: number) => Number(value.toFixed(digits));

/**
 * The sync answer: the bot's output as `result`, usage in the prompt/completion tokens of hosted
 * agent APIs, and everything else a client may want to log under `metadata`. A failed invocation
 * has the same shape, with `result: null` and its `error`.
 */
export function invokeResponseBody(result: InvokeResult, requestId: string, asked: Pick<InvokeOptions, 'outputFormat'> = {}): InvokeResponseBody {
  const { inputTokens, outputTokens } = result.usage;
  const output = result.status === 'completed' ? (result.result.output ?? null) : null;
  return {
    id: requestId,
    status: result.status,
    // Asked for JSON, a client gets JSON: the engine has checked that a text output parses.
    result: asked.outputFormat === 'json' && typeof output === 'string' ? (JSON.parse(output) as unknown) : output,
    thread_id: result.sessionId,
    session_id: result.sessionId,
    usage: { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens },
    metadata: {
      execution_time: round(result.durationMs / 1000, 6),
      agent_id: result.bot.key,
      agent_version: result.bot.version,
      request_id: requestId,
      invocation_id: result.invocationId,
      mode: result.mode,
      cost_usd: round(result.costUsd, 8),
      cache: {
        hits: result.cache.hits,
        misses: result.cache.misses,
        recorded: result.cache.recorded,
        saved_cost_usd: round(result.cache.savedCostUsd, 8),
      },
      llm: result.llm.map((used) => ({ provider: used.provider, model: used.model, reasoning_effort: used.reasoningEffort, calls: used.calls })),
    },
    error: result.error ? { code: result.error.code, message: result.error.message, ...(result.error.hint && { hint: result.error.hint }) } : null,
  };
}
