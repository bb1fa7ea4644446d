import type { LiveContext, LiveOutcome } from '../../actions/types.js';
import type { LlmMessageOutput, LlmMessageParams } from '../../actions/llm-types.js';
import { forwardWire } from '../../wire/forward.js';
import { neutralOf } from '../../wire/neutral.js';
import { targetFromEnv } from '../../wire/target.js';
import type { WireApi } from '../../wire/types.js';
import { toMessagesRequest } from './anthropic-messages.js';
import { toChatRequest } from './openai-chat.js';
import { chooseProvider } from './select.js';

/**
 * The live `llm.message`: the neutral params as the chosen provider's request, sent like an SDK
 * call to the provider rehearse's environment names (retries, timeout, price), and its answer read
 * back into the neutral shape by that API's codec.
 */
export async function runLlmMessage(params: LlmMessageParams, live: LiveContext): Promise<LiveOutcome<LlmMessageOutput>> {
  const anthropic = chooseProvider(params, live.settings.llm) === 'anthropic';
  const api: WireApi = anthropic ? 'anthropic.messages' : 'openai.chat';
  const body = anthropic ? toMessagesRequest(params) : toChatRequest(params);
  const outcome = await forwardWire(api, body, targetFromEnv(api, live.env), live);
  const neutral = neutralOf(api, outcome.output);
  const output = { ...neutral, model: neutral.model || params.model };
  return { output, usage: output.usage, ...(outcome.costUsd !== undefined && { costUsd: outcome.costUsd }) };
}
