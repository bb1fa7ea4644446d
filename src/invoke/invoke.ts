import '../actions/builtin.js';
import type { Bot } from '../bots/types.js';
import { EventLog } from './events.js';
import { finishInvocation } from './finish.js';
import { prepareInvocation } from './prepare.js';
import { runBot } from './run-bot.js';
import { streamInvocation } from './stream.js';
import type { InvokeOptions, InvokeResult, InvokeStream, StreamingInvokeOptions } from './types.js';
import { wireInvocation } from './wiring.js';

/**
 * Runs a bot once, in the mode the options, the environment or the config choose, and returns its
 * result. With `stream: true` it returns the events as they happen instead, ending with the result.
 */
export function invoke(bot: Bot | string, options: StreamingInvokeOptions): InvokeStream;
export function invoke(bot: Bot | string, options?: InvokeOptions): Promise<InvokeResult>;
export function invoke(bot: Bot | string, options: InvokeOptions & { stream?: boolean } = {}): Promise<InvokeResult> | InvokeStream {
  if (options.stream) return streamInvocation((events) => runInvocation(bot, options, events));
  return runInvocation(bot, options, new EventLog());
}

/**
 * One invocation, in its four phases: prepare (resolve and check; a mistake throws, nothing ran),
 * wire (what the run needs while it goes), run the bot (on the clock), finish (record and result).
 */
async function runInvocation(botOrKey: Bot | string, options: InvokeOptions, events: EventLog): Promise<InvokeResult> {
  const startedMs = performance.now();
  const prepared = await prepareInvocation(botOrKey, options, events);
  const wired = wireInvocation(prepared, events);
  const { bot, config, mode, input, session, version } = prepared;
  events.emit({ type: 'invocation.started', at: Date.now(), invocation_id: wired.invocationId, session_id: session.sessionId, bot_id: bot.key, bot_version: version, mode: config.mode, org: config.org });
  if (options.mocks !== undefined && !mode.needs.mocks) wired.run.live.warn(`Mocks are only used in manual mode; this run is in ${config.mode} mode.`);
  if (input.prompt) wired.dispatcher.addMessage({ role: 'user', content: input.prompt, bot_path: bot.key, kind: 'input' });
  const outcome = await runBot(prepared, wired);
  return finishInvocation(prepared, wired, outcome, events, startedMs);
}
