import type { StreamDelta, TokenUsage } from '../actions/types.js';
import type { ModeName } from '../config/resolve.js';
import type { ActionSource } from '../modes/types.js';
import { Redactor } from '../secrets/redactor.js';


/** A message of the run: the input, each model answer along the way, and the bot's final output. */
export interface RunMessage {
  role: 'user' | 'assistant' | 'tool' | 'system';
  content: string | null;
  tool_calls?: Array<{ id: string; name: string; arguments: string }>;
  /** Which bot said it: `support-bot`, or `support-bot > refund-checker` for a sub-agent. */
  bot_path: string;
  kind: 'input' | 'step' | 'output';
  /** The action that produced a step. */
  action_id?: string;
}

export interface ErrorInfo {
  code: string;
  message: string;
  hint?: string;
}

interface EventBase {
  /** Milliseconds since the epoch. */
  at: number;
}

export interface InvocationStartedEvent extends EventBase {
  type: 'invocation.started';
  invocation_id: string;
  session_id: string;
  bot_id: string;
  bot_version: string;
  mode: ModeName;
  org: string;
}

export interface ActionStartedEvent extends EventBase {
  type: 'action.started';
  action_id: string;
  action_type: string;
  bot_path: string;
  params: unknown;
}

export interface ActionCompletedEvent extends EventBase {
  type: 'action.completed';
  action_id: string;
  action_type: string;
  bot_path: string;
  status: 'success' | 'error';
  source: ActionSource;
  duration_ms: number;
  /** The replay key, when the action went through the cache (hit, miss or recording). */
  cache_key?: string;
  /** True when a replay miss ran live and was recorded. */
  recorded?: boolean;
  /** True when secrets were replaced in the recording's params or output before it was written. */
  redacted?: boolean;
  /** True when the recording was older than cache.maxAge, so this call replaced it. */
  expired?: boolean;
  output?: unknown;
  usage?: TokenUsage;
  cost_usd: number;
  /** On a cache hit: what the recorded call cost, now saved. */
  saved_cost_usd?: number;
  error?: ErrorInfo;
}

/** A piece of an action's output as it streams in (live), or as it was recorded (replay). */
export interface ActionDeltaEvent extends EventBase {
  type: 'action.delta';
  action_id: string;
  action_type: string;
  bot_path: string;
  delta: StreamDelta;
}

export interface MessageEvent extends EventBase {
  type: 'message';
  message: RunMessage;
}

export interface LogEvent extends EventBase {
  type: 'log';
  level: 'info' | 'warn';
  bot_path: string;
  message: string;
  data?: unknown;
}

export interface InvocationCompletedEvent extends EventBase {
  type: 'invocation.completed';
  invocation_id: string;
  status: 'completed' | 'failed';
  duration_ms: number;
  error?: ErrorInfo;
}

export type RehearseEvent =
  | InvocationStartedEvent
  | ActionStartedEvent
  | ActionCompletedEvent
  | ActionDeltaEvent
  | MessageEvent
  | LogEvent
  | InvocationCompletedEvent;

/**
 * Distributes events as they happen (to a stream, to printEvents) and keeps them for the result.
 * Every event leaves with its secrets replaced (a key in a prompt, a token in a URL, a password in a
 * log line): events are what reach stderr, the state file, HTTP answers and callers' listeners.
 */
export class EventLog {
  readonly events: RehearseEvent[] = [];
  private readonly listeners: Array<(event: RehearseEvent) => void> = [];
  private closed = false;
  /** The built-in patterns until the run's config is read; then those plus its `cache.redact`. */
  private redactor = new Redactor();

  /** Redacts with the config's own patterns too, from now on. */
  redactWith(redactor: Redactor): void {
    this.redactor = redactor;
  }

  /** `value` as it may leave the run: what every other exit (the result, the session's history) uses. */
  redact<T>(value: T): T {
    return this.redactor.scrub(value);
  }

  /** Sends the event on, its secrets replaced, and returns it as sent. */
  emit<Event extends RehearseEvent>(event: Event): Event {
    const safe = this.redactor.scrub(event);
    // A bot that ignores its signal may go on after a timeout; the finished record must not change.
    if (this.closed) return safe;
    this.events.push(safe);
    for (const listener of this.listeners) listener(safe);
    return safe;
  }

  close(): void {
    this.closed = true;
  }

  subscribe(listener: (event: RehearseEvent) => void): void {
    this.listeners.push(listener);
  }
}
