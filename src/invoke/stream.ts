import { AsyncQueue } from './async-queue.js';
import { EventLog } from './events.js';
import type { InvokeResult, InvokeStream, StreamItem } from './types.js';

/**
 * Turns a running invocation into an async iterable of its events, as they happen, ending with
 * the result. A failure to start (an unknown bot, a bad option) is thrown from the iterator.
 */
export function streamInvocation(start: (events: EventLog) => Promise<InvokeResult>): InvokeStream {
  const events = new EventLog();
  const queue = new AsyncQueue<StreamItem>();
  events.subscribe((event) => queue.push(event));
  const result = start(events);
  result.then(
    (value) => {
      queue.push({ type: 'result', result: value });
      queue.end();
    },
    (error: unknown) => queue.fail(error),
  );
  return { result, [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator]() };
}
