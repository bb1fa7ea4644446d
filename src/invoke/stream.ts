import { EventLog } from './events.js';
import type { InvokeResult, InvokeStream, StreamItem } from './types.js';

/**
 * Turns a running invocation into an async iterable of its events, as they happen, ending with
 * the result. A failure to start (an unknown bot, a bad option) is thrown from the iterator.
 */
export function streamInvocation(start: (events: EventLog) => Promise<InvokeResult>): InvokeStream {
  const events = new EventLog();
  const queue: StreamItem[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: { error: unknown } | undefined;

  const push = (item: StreamItem) => {
    queue.push(item);
    wake?.();
  };
  events.subscribe(push);
  const result = start(events);
  result.then(
    (value) => {
      push({ type: 'result', result: value });
      finished = true;
      wake?.();
    },
    (error: unknown) => {
      failure = { error };
      finished = true;
      wake?.();
    },
  );
  // The caller may only iterate; an unobserved rejection must not crash the process.
  result.catch(() => undefined);

  async function* iterate(): AsyncGenerator<StreamItem> {
    for (;;) {
      const item = queue.shift();
      if (item) {
        yield item;
        continue;
      }
      if (failure) throw failure.error;
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  }

  return { result, [Symbol.asyncIterator]: iterate };
}
