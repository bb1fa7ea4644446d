import { findAction } from '../actions/registry.js';
import type { LiveContext, StreamDelta } from '../actions/types.js';
import { ActionFailedError, isRehearseError, ProviderError, StrictMissError } from '../errors.js';
import type { ActionBot, ActionDispatch, ModeStrategy, PerformOptions, RunState } from '../modes/types.js';
import type { ActionCompletedEvent, ErrorInfo, EventLog, RunMessage } from './events.js';

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

/** The messages of an error and of its causes. */
function messagesOf(error: unknown): string[] {
  const messages: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) messages.push(current.message);
  return messages;
}

/** A deep copy for the record; values that cannot be cloned (a function in a user's params) are kept as they are. */
function snapshot(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

/** What an error says. Secrets in it (a bot's `Error('boom sk-live-…')`) are replaced where it leaves the run: the event log and the result. */
export function errorInfo(error: unknown): ErrorInfo {
  if (isRehearseError(error)) return { code: error.code, message: error.message, ...(error.hint && { hint: error.hint }) };
  if (error instanceof Error) return { code: error.name === 'Error' ? 'BOT_ERROR' : error.name, message: error.message };
  if (typeof error === 'string') return { code: 'BOT_ERROR', message: error }; // `throw 'out of stock'` says what it means
  // `throw null`, `throw { reason }`: say what was thrown, not just "null".
  const shown = error !== null && typeof error === 'object' ? safeJson(error) : String(error);
  return { code: 'BOT_ERROR', message: `The bot threw ${shown}, not an Error.`, hint: 'Throw an Error (throw new Error("what went wrong")) so the run reports a message and a stack.' };
}

function safeJson(value: object): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Sends every action of one invocation to its mode, and reports it: action.started and
 * action.completed events, the run's messages, usage and cache counters.
 */
export class Dispatcher implements ActionDispatch {
  readonly cacheCounters: CacheCounters = { hits: 0, misses: 0, recorded: 0, savedCostUsd: 0 };
  readonly usage: UsageTotals = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  readonly messages: RunMessage[] = [];
  private actionCount = 0;
  /** Our errors answered to an SDK as HTTP errors (a strict miss, a missing mock), newest last. */
  private readonly handedToSdk: Error[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly mode: ModeStrategy,
    private readonly run: RunState,
    private readonly events: EventLog,
  ) {}

  perform(type: string, rawParams: unknown, bot: ActionBot, options: PerformOptions = {}): Promise<unknown> {
    const performing = this.performOne(type, rawParams, bot, options);
    this.inFlight.add(performing);
    const done = () => void this.inFlight.delete(performing);
    performing.then(done, done);
    return performing;
  }

  /**
   * Resolves when no action is under way. A bot may return while a call it stopped listening to is
   * still being read (it broke out of a stream); the invocation waits for it, so it is recorded.
   */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async performOne(type: string, rawParams: unknown, bot: ActionBot, options: PerformOptions): Promise<unknown> {
    const { onDelta, runLive } = options;
    // After a timeout or a cancel, a bot that goes on gets no more results.
    if (this.run.live.signal.aborted) throw this.run.live.signal.reason;
    const definition = findAction(type);
    const validated = definition.validate ? definition.validate(rawParams) : rawParams;
    // Overrides (another model, instructions, files) change what is asked, so they apply before it is reported or keyed.
    const params = this.run.prepareParams ? this.run.prepareParams(type, validated, bot) : validated;
    const actionId = `action_${++this.actionCount}`;
    const started = performance.now();
    // A copy: the bot may reuse and change its params object for the next call.
    this.events.emit({ type: 'action.started', at: Date.now(), action_id: actionId, action_type: type, bot_path: bot.path, params: options.freshParams ? params : snapshot(params) });

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
      const outcome = await this.mode.perform({ definition, params, bot, emitDelta, ...(runLive && { runLive }) }, this.run);
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
      const step = definition.messageOf?.(outcome.output, params);
      if (step) this.addMessage({ ...step, bot_path: bot.path, kind: 'step', action_id: actionId });
      return outcome.output;
    } catch (error) {
      if (error instanceof StrictMissError) this.cacheCounters.misses++;
      complete({
        status: 'error',
        source: this.mode.failedSource(error),
        ...(error instanceof StrictMissError && { cache_key: error.key }),
        cost_usd: 0,
        error: errorInfo(error),
      });
      throw error;
    }
  }

  /** What live executors of this invocation get: its signal, environment and settings. */
  get live(): LiveContext {
    return this.run.live;
  }

  /** Notes an error of ours that an SDK received as an HTTP error answer and will throw as its own. */
  handedOnToSdk(error: Error): void {
    this.handedToSdk.push(error);
  }

  /** How many errors were handed on so far; with `lastHandedOnSince`, what an agent process was told while it ran. */
  get handedOnCount(): number {
    return this.handedToSdk.length;
  }

  lastHandedOnSince(count: number): Error | undefined {
    return this.handedToSdk.length > count ? this.handedToSdk.at(-1) : undefined;
  }

  /**
   * What a failed run reports. An SDK turns our error (a strict miss, say) into its own
   * (`BadRequestError: 400 Strict replay miss…`); the run then reports ours, with its code and
   * hint, when the bot's error carries its message.
   */
  causeOf(failure: unknown): unknown {
    if (isRehearseError(failure)) return failure;
    // An SDK that wraps a rejected fetch keeps it as the cause (an http.fetch with no mock, say).
    for (let cause = (failure as Error | undefined)?.cause, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
      if (isRehearseError(cause)) return cause;
    }
    const said = messagesOf(failure);
    const carries = (message: string, error: Error) => {
      // What the SDK was told: the provider's own message, a mock's, or rehearse's.
      const told = error instanceof ProviderError ? error.providerMessage : error instanceof ActionFailedError ? error.detail : error.message;
      const start = told.slice(0, 60);
      return message.includes(start) || message.includes(JSON.stringify(start).slice(1, -1)); // some SDKs quote the body as JSON
    };
    return this.handedToSdk.findLast((error) => said.some((message) => carries(message, error))) ?? failure;
  }

  addMessage(message: RunMessage): void {
    const sent = this.events.emit({ type: 'message', at: Date.now(), message });
    this.messages.push(sent.message);
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
