import { InvocationCancelledError, InvocationTimeoutError } from '../errors.js';
import { checkSerializable } from './output-check.js';
import type { PreparedInvocation } from './prepare.js';
import type { WiredInvocation } from './wiring.js';

/** How the bot's run ended. A flag beside the value: a bot may `throw undefined`, and that is a failure too. */
export type BotOutcome = { failed: false; output: unknown } | { failed: true; failure: unknown };

/** Rejects when the signal aborts, so a bot that ignores its signal still ends on time. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const abort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('The invocation was cancelled.'));
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
  });
}

/**
 * The third phase, the only one on the clock: the bot runs until it returns, throws, times out or is
 * cancelled; then what the run opened is closed, whatever happened.
 */
export async function runBot(prepared: PreparedInvocation, wired: WiredInvocation): Promise<BotOutcome> {
  const { bot, input, timeoutMs, perRun, options } = prepared;
  const { controller, run, dispatcher, context } = wired;
  // The clock starts here, with the `finally` that stops it: a step before that throws (a dataset that
  // does not exist, say) must end the process at once, not after the whole timeout.
  const timer = setTimeout(() => controller.abort(new InvocationTimeoutError(timeoutMs)), timeoutMs);
  const cancel = () => controller.abort(new InvocationCancelledError(options.signal?.reason));
  options.signal?.addEventListener('abort', cancel, { once: true });
  if (options.signal?.aborted) cancel();
  try {
    if (controller.signal.aborted) throw controller.signal.reason;
    await run.cache?.store.check();
    const output: unknown = await Promise.race([Promise.resolve(bot.run(input, context)), untilAborted(controller.signal)]);
    // Calls the bot stopped listening to finish (and are recorded) before the cache closes; a
    // timeout or cancel still cuts them off.
    await Promise.race([dispatcher.idle(), untilAborted(controller.signal).catch(() => undefined)]);
    checkSerializable(output);
    perRun.checkOutput?.(output);
    return { failed: false, output };
  } catch (failure) {
    return { failed: true, failure };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', cancel);
    await wired.close();
  }
}
