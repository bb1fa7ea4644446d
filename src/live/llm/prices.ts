import type { LiveContext, ModelPrice, TokenUsage } from '../../actions/types.js';
import { providerApis } from '../../providers/registry.js';

/** US dollars per million tokens: every registered API's own table. Prefix matches cover dated snapshots (gpt-4o-mini-2024-07-18). */
export function defaultPrices(): Readonly<Record<string, ModelPrice>> {
  return Object.assign({}, ...providerApis().map((api) => api.prices ?? {})) as Record<string, ModelPrice>;
}

/** The longest table entry that the model name starts with, so 'gpt-4o-mini-2024' is not priced as 'gpt-4o'. */
export function priceOf(model: string, prices: Readonly<Record<string, ModelPrice>> = defaultPrices()): ModelPrice | undefined {
  let best: string | undefined;
  for (const name of Object.keys(prices)) {
    if ((model === name || model.startsWith(`${name}-`)) && (!best || name.length > best.length)) best = name;
  }
  return best === undefined ? undefined : prices[best];
}

export function costOf(price: ModelPrice, usage: TokenUsage): number {
  return (usage.input_tokens * price.input + usage.output_tokens * price.output) / 1_000_000;
}

/** What a call cost from the price table (the answering model's price, else the requested one's); an unknown model is $0, said once. */
export function callCost(live: LiveContext, requestedModel: string, answeredModel: string, usage: TokenUsage): number {
  const { prices } = live.settings;
  const price = priceOf(answeredModel, prices) ?? priceOf(requestedModel, prices);
  if (!price) live.warn(`No price known for model "${requestedModel}"; its calls count as $0. Add it to "prices" in rehearse.config.json.`);
  return price ? costOf(price, usage) : 0;
}
