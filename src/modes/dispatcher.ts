import { findAction } from '../actions/registry.js';
import type { StreamDelta } from '../actions/types.js';
import { isRehearseError, StrictMissError } from '../errors.js';
import type { ActionCompletedEvent, ErrorInfo, EventLog, RunMessage } from '../invoke/events.js';
import type { ActionBot, ModeStrategy, RunState } from './types.js';

type CompletionFields = Omit<ActionCompletedEvent, 'type' | 'at' | 'action_id' | 'action_type' | 'bot_path' | 'duration_ms'>;

export interface CacheCounters {
  hits: number;
  misses: number;
  recorded: number;
  savedCostUsd: number;
}

export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** A deep copy for the record; values that cannot be cloned (a function in a user's params) are kept as they are. */
function snapshot(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

export function errorInfo(error: unknown): ErrorInfo {
  if (isRehearseError(error)) return { code: error.code, message: error.message, ...(error.hint && { hint: error.hint }) };
  if (error instanceof Error) return { code: error.name === 'Error' ? 'BOT_ERROR' : error.name, message: error.message };
  return { code: 'BOT_ERROR', message: String(error) };
}

/**
 * Sends every action of one invocation to its mode, and reports it: action.started and
 * action.completed events, the run's messages, usage and cache counters.
 */
export class Dispatcher {
  readonly cacheCounters: CacheCounters = { hits: 0, misses: 0, recorded: 0, savedCostUsd: 0 };
  readonly usage: UsageTotals = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  readonly messages: RunMessage[] = [];
  private actionCount = 0;

  constructor(
    private readonly mode: ModeStrategy,
    private readonly run: RunState,
    private readonly events: EventLog,
  ) {}

  /** `onDelta` also gets each streamed piece of this action's output (ctx.llm.stream reads them so). */
  async perform(type: string, rawParams: unknown, bot: ActionBot, onDelta?: (delta: StreamDelta) => void): Promise<unknown> {
    // After a timeout or a cancel, a bot that goes on gets no more results.
    if (this.run.live.signal.aborted) throw this.run.live.signal.reason;
    const definition = findAction(type);
    const validated = definition.validate ? definition.validate(rawParams) : rawParams;
    // Overrides (another model, instructions, files) change what is asked, so they apply before it is reported or keyed.
    const params = this.run.prepareParams ? this.run.prepareParams(type, validated, bot) : validated;
    const actionId = `action_${++this.actionCount}`;
    const started = performance.now();
    // A copy: the bot may reuse and change its params object for the next call.
    this.events.emit({ type: 'action.started', at: Date.now(), action_id: actionId, action_type: type, bot_path: bot.path, params: snapshot(params) });

    const complete = (fields: CompletionFields) =>
      this.events.emit({
        type: 'action.completed',
        at: Date.now(),
        action_id: actionId,
        action_type: type,
        bot_path: bot.path,
        duration_ms: performance.now() - started,
        ...fields,
      });

    try {
      const emitDelta = (delta: StreamDelta) => {
        this.events.emit({ type: 'action.delta', at: Date.now(), action_id: actionId, action_type: type, bot_path: bot.path, delta });
        onDelta?.(delta);
      };
      const outcome = await this.mode.perform({ definition, params, bot, emitDelta }, this.run);
      this.count(outcome.source, outcome.recorded === true, outcome.savedCostUsd ?? 0);
      this.usage.inputTokens += outcome.usage?.input_tokens ?? 0;
      this.usage.outputTokens += outcome.usage?.output_tokens ?? 0;
      this.usage.costUsd += outcome.costUsd;
      complete({
        status: 'success',
        source: outcome.source,
        ...(outcome.cacheKey !== undefined && { cache_key: outcome.cacheKey }),
        ...(outcome.recorded && { recorded: true }),
        ...(outcome.redacted && { redacted: true }),
        ...(outcome.expired && { expired: true }),
        output: outcome.output,
        ...(outcome.usage && { usage: outcome.usage }),
        cost_usd: outcome.costUsd,
        ...(outcome.savedCostUsd !== undefined && { saved_cost_usd: outcome.savedCostUsd }),
      });
      const step = definition.messageOf?.(outcome.output);
      if (step) this.addMessage({ ...step, bot_path: bot.path, kind: 'step', action_id: actionId });
      return outcome.output;
    } catch (error) {
      if (error instanceof StrictMissError) this.cacheCounters.misses++;
      complete({
        status: 'error',
        source: this.mode.name === 'manual' ? 'mock' : error instanceof StrictMissError ? 'cache' : 'live',
        ...(error instanceof StrictMissError && { cache_key: error.key }),
        cost_usd: 0,
        error: errorInfo(error),
      });
      throw error;
    }
  }

  addMessage(message: RunMessage): void {
    this.messages.push(message);
    this.events.emit({ type: 'message', at: Date.now(), message });
  }

  private count(source: string, recorded: boolean, savedCostUsd: number): void {
    if (source === 'cache') {
      this.cacheCounters.hits++;
      this.cacheCounters.savedCostUsd += savedCostUsd;
    } else if (recorded) {
      this.cacheCounters.misses++;
      this.cacheCounters.recorded++;
    }
  }
}
