import type { InvokeResult, JsonSummary } from '../invoke/types.js';
import { responseContent } from '../invoke/response-content.js';

export function toJsonSummary(result: Omit<InvokeResult, 'formatted'>): JsonSummary {
  return {
    invocation_id: result.invocationId,
    session_id: result.sessionId,
    bot_id: result.bot.key,
    bot_version: result.bot.version,
    mode: result.mode,
    status: result.status,
    response_content: responseContent(result.result.output),
    input_tokens: result.usage.inputTokens,
    output_tokens: result.usage.outputTokens,
    total_cost_usd: result.costUsd,
    duration_ms: Math.round(result.durationMs),
    cache: {
      hits: result.cache.hits,
      misses: result.cache.misses,
      recorded: result.cache.recorded,
      saved_cost_usd: result.cache.savedCostUsd,
    },
    error: result.error ?? null,
    llm: result.llm.map((use) => ({ provider: use.provider, model: use.model, reasoning_effort: use.reasoningEffort, calls: use.calls })),
  };
}
