import { applyRunOverrides } from '../actions/llm/apply-overrides.js';
import type { LlmReport } from '../actions/llm/llm-report.js';
import type { RunOverrides } from '../actions/llm/override-types.js';
import type { ActionBot } from '../modes/types.js';

/**
 * The dispatcher's hook for this run (RunState.prepareParams): llm.message params get the overrides,
 * then count in the report of what was used. Other action types pass through untouched.
 */
export function llmParamsHook(overrides: RunOverrides | undefined, invokedBotPath: string, report: LlmReport) {
  return (type: string, params: unknown, bot: ActionBot): unknown => {
    if (type !== 'llm.message') return params;
    const final = overrides ? applyRunOverrides(params, overrides, bot.path === invokedBotPath) : params;
    report.note(final);
    return final;
  };
}
