import type { ReasoningEffort } from '../../actions/llm-types.js';
import { reasoningEfforts } from '../../actions/llm/reasoning-efforts.js';


/**
 * Anthropic has no effort levels on the Messages API; it has extended thinking with a token budget
 * (`thinking: { type: 'enabled', budget_tokens }`, at least 1024 and below max_tokens). Each level is
 * a budget: `minimal` is the API's floor; `high` plus the default 4096 answer tokens stays under the
 * 32,000 output tokens of the thinking model with the smallest output limit (Claude Opus 4).
 */
export const thinkingBudgets: Readonly<Record<ReasoningEffort, number>> = { minimal: 1024, low: 4096, medium: 12_288, high: 24_576 };

export interface AnthropicThinking {
  thinking: { type: 'enabled'; budget_tokens: number };
  /** Thinking tokens count against max_tokens, so the answer keeps the room it was given on top of the budget. */
  max_tokens: number;
}

export function anthropicThinking(effort: ReasoningEffort, answerMaxTokens: number): AnthropicThinking {
  const budget = thinkingBudgets[effort];
  return { thinking: { type: 'enabled', budget_tokens: budget }, max_tokens: budget + answerMaxTokens };
}

/**
 * Fields Anthropic refuses while thinking is on (temperature and top_k must be left out, top_p may only
 * be 0.95 to 1): dropped rather than failing the call, because the effort was asked for the whole run.
 */
export const fieldsRefusedWhileThinking: readonly string[] = ['temperature', 'top_p', 'top_k'];

/** The level a thinking budget stands for, for reports: a level's own budget, else the budget itself. */
export function effortOfThinking(thinking: unknown): string | null {
  if (thinking === null || typeof thinking !== 'object') return null;
  const { type, budget_tokens: budget } = thinking as { type?: unknown; budget_tokens?: unknown };
  if (type !== 'enabled') return typeof type === 'string' && type !== 'disabled' ? type : null;
  const level = reasoningEfforts.find((effort) => thinkingBudgets[effort] === budget);
  return level ?? `budget_tokens=${String(budget)}`;
}
