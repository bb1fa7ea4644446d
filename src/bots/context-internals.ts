import type { SdkCaller } from '../sdk/exchange.js';
import type { BotContext } from './types.js';

/**
 * What rehearse's own runners (a bot run as a program, src/bots/command.ts) need of a context that
 * bots never see: the invocation's dispatcher and the bot it acts for. The engine attaches them to
 * each context it makes (src/invoke/context.ts).
 */
export type ContextInternals = SdkCaller;

const internals = new WeakMap<BotContext, ContextInternals>();

export function attachInternals(context: BotContext, found: ContextInternals): void {
  internals.set(context, found);
}

export function contextInternals(context: BotContext): ContextInternals {
  const found = internals.get(context);
  if (!found) throw new Error('This context was not made by rehearse: run the bot through invoke() (or the CLI), which gives it one.');
  return found;
}
