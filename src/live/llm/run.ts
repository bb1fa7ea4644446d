import type { LiveContext, LiveOutcome } from '../../actions/types.js';
import type { LlmMessageOutput, LlmMessageParams } from '../../actions/llm-types.js';
import { ConfigError } from '../../errors.js';
import { neutralApiOf, providerNames } from '../../providers/registry.js';
import { forwardWire } from '../../wire/forward.js';
import { neutralOf } from '../../wire/neutral.js';
import { chooseProvider } from './select.js';

/**
 * The live `llm.message`: the neutral params as the request of the chosen provider's API, sent like
 * an SDK call to the provider rehearse's environment names (retries, timeout, price), and its answer
 * read back into the neutral shape by that API's codec.
 */
export async function runLlmMessage(params: LlmMessageParams, live: LiveContext): Promise<LiveOutcome<LlmMessageOutput>> {
  const provider = chooseProvider(params, live.settings.llm);
  const api = neutralApiOf(provider);
  if (!api?.fromNeutralParams) {
    throw new ConfigError(`No API of provider "${provider}" takes ctx.llm.message's neutral params.`, { hint: `Use one of ${providerNames().filter((name) => neutralApiOf(name)).join(', ')}.` });
  }
  const outcome = await forwardWire(api, api.fromNeutralParams(params), api.target(live.env, new Headers()), live);
  const neutral = neutralOf(api.codec, outcome.output);
  const output = { ...neutral, model: neutral.model || params.model };
  return { output, usage: output.usage, ...(outcome.costUsd !== undefined && { costUsd: outcome.costUsd }) };
}
