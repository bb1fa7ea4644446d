import type { LiveContext, LiveOutcome } from '../../actions/types.js';
import type { LlmMessageOutput, LlmMessageParams } from '../../actions/llm-types.js';
import { anthropicMessagesProvider } from './anthropic-messages.js';
import { openAiChatProvider } from './openai-chat.js';
import { costOf, priceOf } from './prices.js';
import type { LlmProvider } from './provider.js';
import { defaultRetryPolicy } from './retry.js';
import { chooseProvider } from './select.js';

const providers: Record<'openai' | 'anthropic', LlmProvider> = { openai: openAiChatProvider, anthropic: anthropicMessagesProvider };

/** The live `llm.message`: the chosen provider, with retries and a timeout, priced from the table. */
export async function runLlmMessage(params: LlmMessageParams, live: LiveContext): Promise<LiveOutcome<LlmMessageOutput>> {
  const { llm, prices } = live.settings;
  const provider = providers[chooseProvider(params, llm)];
  const output = await provider.generate(params, live, { retry: { ...defaultRetryPolicy, retries: llm.retries }, timeoutMs: llm.timeoutMs });
  const price = priceOf(output.model, prices) ?? priceOf(params.model, prices);
  if (!price) live.warn(`No price known for model "${params.model}"; its calls count as $0. Add it to "prices" in rehearse.config.json.`);
  return { output, usage: output.usage, costUsd: price ? costOf(price, output.usage) : 0 };
}
