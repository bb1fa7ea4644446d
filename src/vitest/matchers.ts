import type { MatcherState } from 'vitest';
import { responseContent } from '../invoke/response-content.js';
import type { ActionCompletedEvent } from '../invoke/events.js';
import type { ActionSource } from '../modes/types.js';
import type { InvokeResult } from '../invoke/types.js';

export interface UsedActionOptions {
  /** Exactly this many times; at least once when left out. */
  times?: number;
  /** Only actions served from here (`mock`, `cache` or `live`), or from any of these. */
  source?: ActionSource | readonly ActionSource[];
  /** Only actions that ended so. */
  status?: 'success' | 'error';
}

/** The matchers `agent-rehearse/vitest/setup` registers, for `expect(result)` where result is an InvokeResult. */
export interface RehearseMatchers<R = unknown> {
  /** The invocation completed `actionType` (at least once, or `times` times), from `source` when given. */
  toHaveUsedAction(actionType: string, options?: UsedActionOptions): R;
  /** The invocation was served exactly `count` times from the replay cache. */
  toHaveCacheHits(count: number): R;
  /** The invocation completed; on failure the message shows its error code, message and hint. */
  toHaveSucceeded(): R;
}

declare module 'vitest' {
  // T must stay: an augmentation repeats the interface's type parameters.
  interface Assertion<T = any> extends RehearseMatchers<void> {}
  interface AsymmetricMatchersContaining extends RehearseMatchers {}
}

/** What a synchronous matcher answers (vitest's SyncExpectationResult, which it does not export). */
interface SyncExpectationResult {
  pass: boolean;
  message: () => string;
  actual?: unknown;
  expected?: unknown;
}

type Result = Pick<InvokeResult, 'success' | 'status' | 'error' | 'events' | 'bot' | 'mode' | 'org' | 'cache' | 'result'>;

function isResult(value: unknown): value is Result {
  const candidate = value as Partial<Result> | null;
  return typeof candidate === 'object' && candidate !== null && Array.isArray(candidate.events) && typeof candidate.success === 'boolean' && typeof candidate.cache === 'object';
}

/** The result of a matcher given something that is not an InvokeResult: always a failure, whatever `.not` says. */
function notAResult(matcher: string, received: unknown, isNot: boolean): SyncExpectationResult {
  const shown = received === null || typeof received !== 'object' ? String(received) : `an object with keys ${Object.keys(received).join(', ') || '(none)'}`;
  return {
    pass: isNot,
    message: () => `${matcher} expects the result of invoke() or invokeForTest() (an InvokeResult), but got ${shown}.`,
  };
}

function times(count: number): string {
  return `${count} time${count === 1 ? '' : 's'}`;
}

function completedActions(result: Result): ActionCompletedEvent[] {
  return result.events.filter((event): event is ActionCompletedEvent => event.type === 'action.completed');
}

/** Every action the run completed, one a line, so a failing expectation shows what did happen. */
function actionList(result: Result): string {
  const actions = completedActions(result);
  if (actions.length === 0) return `The invocation of bot "${result.bot.key}" (${result.mode} mode) completed no actions.`;
  const lines = actions.map((event) => `  ${event.action_type} from ${event.source}: ${event.status}${event.error ? ` (${event.error.code})` : ''}  [${event.bot_path}]`);
  return [`Actions of bot "${result.bot.key}" (${result.mode} mode), in order:`, ...lines].join('\n');
}

function errorText(result: Result): string {
  if (!result.error) return `status ${result.status}, no error recorded`;
  return [`${result.error.code}: ${result.error.message}`, ...(result.error.hint ? ['', result.error.hint] : [])].join('\n');
}

function toHaveUsedAction(this: MatcherState, received: unknown, actionType: string, options: UsedActionOptions = {}): SyncExpectationResult {
  if (!isResult(received)) return notAResult('toHaveUsedAction', received, this.isNot);
  const sources = options.source === undefined ? undefined : ([] as ActionSource[]).concat(options.source);
  const matching = completedActions(received).filter(
    (event) => event.action_type === actionType && (!sources || sources.includes(event.source)) && (!options.status || event.status === options.status),
  );
  const pass = options.times === undefined ? matching.length > 0 : matching.length === options.times;
  const filters = [sources && `from ${sources.join(' or ')}`, options.status && `ending in ${options.status}`].filter(Boolean).join(', ');
  const what = `${actionType}${filters ? ` (${filters})` : ''}`;
  const expected = options.times === undefined ? 'at least once' : times(options.times);
  return {
    pass,
    message: () =>
      pass
        ? `expected the invocation not to use ${what} ${expected}, but it used it ${times(matching.length)}.\n${actionList(received)}`
        : `expected the invocation to use ${what} ${expected}, but it used it ${times(matching.length)}.\n${actionList(received)}`,
    actual: matching.length,
    expected: options.times,
  };
}

function toHaveCacheHits(this: MatcherState, received: unknown, count: number): SyncExpectationResult {
  if (!isResult(received)) return notAResult('toHaveCacheHits', received, this.isNot);
  const { hits, misses, recorded } = received.cache;
  const pass = hits === count;
  const counts = `(misses ${misses}, recorded ${recorded}; ${received.mode} mode, org "${received.org}")`;
  const note = received.mode === 'replay' ? '' : `\nOnly replay mode serves from the cache; this run was in ${received.mode} mode (set REHEARSE_MODE=replay).`;
  return {
    pass,
    message: () =>
      pass
        ? `expected the invocation not to have ${count} cache hits, but it had ${hits} ${counts}.`
        : `expected the invocation to have ${count} cache hits, but it had ${hits} ${counts}.${note}\n${actionList(received)}`,
    actual: hits,
    expected: count,
  };
}

function toHaveSucceeded(this: MatcherState, received: unknown): SyncExpectationResult {
  if (!isResult(received)) return notAResult('toHaveSucceeded', received, this.isNot);
  const pass = received.success;
  return {
    pass,
    message: () =>
      pass
        ? `expected the invocation of bot "${received.bot.key}" to fail, but it completed with: ${responseContent(received.result.output) ?? '(no output)'}`
        : `expected the invocation of bot "${received.bot.key}" (${received.mode} mode) to succeed, but it failed with ${errorText(received)}`,
  };
}

/** For `expect.extend(rehearseMatchers)`; `agent-rehearse/vitest/setup` does this for you. */
export const rehearseMatchers = { toHaveUsedAction, toHaveCacheHits, toHaveSucceeded };
