import type { LiveContext, LiveOutcome, TokenUsage } from '../../actions/types.js';
import type { TransportSettings } from './transport.js';
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
  const provider = providers[chooseProvider(params, live.settings.llm)];
  const output = await provider.generate(params, live, transportSettings(live));
  return { output, usage: output.usage, costUsd: callCost(live, params.model, output.model, output.usage) };
}

export function transportSettings(live: LiveContext): TransportSettings {
  const { llm } = live.settings;
  return { retry: { ...defaultRetryPolicy, retries: llm.retries }, timeoutMs: llm.timeoutMs };
}

/** What a call cost from the price table (the answering model's price, else the requested one's); an unknown model is $0, said once. */
export function callCost(live: LiveContext, requestedModel: string, answeredModel: string, usage: TokenUsage): number {
  const { prices } = live.settings;
  const price = priceOf(answeredModel, prices) ?? priceOf(requestedModel, prices);
  if (!price) live.warn(`No price known for model "${requestedModel}"; its calls count as $0. Add it to "prices" in rehearse.config.json.`);
  return price ? costOf(price, usage) : 0;
}
