import { resolve } from 'node:path';
import { findBot } from '../bots/find.js';
import { isBot, type Bot, type BotInput } from '../bots/types.js';
import { botVersion } from '../bots/version.js';
import { resolveConfig, type ResolvedConfig } from '../config/resolve.js';
import { UsageError } from '../errors.js';
import { checkFormat } from '../format/index.js';
import { eventLine } from '../format/event-line.js';
import { loadMocksFile } from '../mocks/load.js';
import { MockServer } from '../mocks/mock-server.js';
import { modeNamed } from '../modes/index.js';
import type { ModeStrategy } from '../modes/types.js';
import { Redactor } from '../secrets/redactor.js';
import type { EventLog, RehearseEvent } from './events.js';
import { botInput } from './input.js';
import { perInvocationOptions, type PerInvocation } from './run-options.js';
import { openSession, type OpenedSession } from './session-state.js';
import type { InvokeOptions, OutputFormat } from './types.js';

const defaultTimeoutMs = 120_000;
const maxTimeoutMs = 600_000;

/** Everything an invocation is asked to do, resolved and checked before anything runs or the clock starts. */
export interface PreparedInvocation {
  options: InvokeOptions;
  env: Readonly<Record<string, string | undefined>>;
  config: ResolvedConfig;
  redactor: Redactor;
  format: OutputFormat;
  timeoutMs: number;
  perRun: PerInvocation;
  bot: Bot;
  version: string;
  mode: ModeStrategy;
  session: OpenedSession;
  /** The input as the caller gave it (its prompt is what the session's history keeps). */
  given: BotInput;
  /** What the bot gets: the given input, the per-invocation options' additions, the session's history first. */
  input: BotInput;
  mocks: MockServer | undefined;
}

function checkTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return defaultTimeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > maxTimeoutMs) {
    throw new UsageError(`timeoutMs is ${timeoutMs}; give a number of milliseconds above 0 and at most ${maxTimeoutMs}.`);
  }
  return timeoutMs;
}

/**
 * A caller's printEvents listener, kept from failing the run: an error it throws is reported once on
 * stderr, and it goes on getting the events (it used to fail the action under way).
 */
function guardedListener(listener: (event: RehearseEvent) => void): (event: RehearseEvent) => void {
  let reported = false;
  return (event) => {
    try {
      listener(event);
    } catch (error) {
      if (reported) return;
      reported = true;
      process.stderr.write(`rehearse: the printEvents listener threw on a ${event.type} event (${error instanceof Error ? error.message : String(error)}); the run goes on, and so do its events.\n`);
    }
  };
}

function mockServer(mode: ModeStrategy, options: InvokeOptions, config: ResolvedConfig): MockServer | undefined {
  if (!mode.needs.mocks) return undefined;
  if (typeof options.mocks === 'string') return new MockServer(loadMocksFile(resolve(config.cwd, options.mocks)), options.mocks);
  return new MockServer(options.mocks ?? {}, 'the mocks option (or a file given with --mocks)');
}

/**
 * The first phase: the config, the bot, its mode, session and input, the mocks. A mistake here (an
 * unknown bot, a bad option, a mocks file that does not parse) is thrown to the caller: no run began.
 */
export async function prepareInvocation(botOrKey: Bot | string, options: InvokeOptions, events: EventLog): Promise<PreparedInvocation> {
  const env = options.env ?? process.env;
  const config = resolveConfig(options, env);
  const redactor = new Redactor(config.cacheRedact);
  events.redactWith(redactor);
  const format = checkFormat(options.format ?? 'events');
  const timeoutMs = checkTimeout(options.timeoutMs);
  const perRun = perInvocationOptions(options, config.cwd);
  if (!isBot(botOrKey) && typeof botOrKey !== 'string') throw new UsageError('invoke() takes a bot (from defineBot) or a bot key.');
  const bot = isBot(botOrKey) ? botOrKey : await findBot(botOrKey, config);
  const mode = modeNamed(config.mode);
  const session = openSession(config, options.sessionId);
  const given = botInput(options);
  const input = { ...given, ...perRun.input, messages: [...session.history, ...given.messages] };
  const mocks = mockServer(mode, options, config);

  if (options.printEvents === true) events.subscribe((event) => process.stderr.write(`${eventLine(event)}\n`));
  else if (typeof options.printEvents === 'function') events.subscribe(guardedListener(options.printEvents));
  return { options, env, config, redactor, format, timeoutMs, perRun, bot, version: botVersion(bot), mode, session, given, input, mocks };
}
