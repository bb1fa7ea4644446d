import type { LiveContext, ModelPrice, TokenUsage } from '../../actions/types.js';

/** US dollars per million tokens. Prefix matches cover dated snapshots (gpt-4o-mini-2024-07-18). */
export const defaultPrices: Readonly<Record<string, ModelPrice>> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5': { input: 1.25, output: 10 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'claude-haiku-4-5': { input: 1, output: 5 },
  'claude-sonnet-4-5': { input: 3, output: 15 },
  'claude-opus-4-1': { input: 15, output: 75 },
};

/** The longest table entry that the model name starts with, so 'gpt-4o-mini-2024' is not priced as 'gpt-4o'. */
export function priceOf(model: string, prices: Readonly<Record<string, ModelPrice>> = defaultPrices): ModelPrice | undefined {
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
