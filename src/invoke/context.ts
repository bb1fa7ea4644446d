import type { ModeName } from '../config/resolve.js';
import type { Dispatcher } from '../modes/dispatcher.js';
import type { ActionBot } from '../modes/types.js';
import type { LlmMessageOutput } from '../actions/llm-types.js';
import type { StreamDelta } from '../actions/types.js';
import { AsyncQueue } from './async-queue.js';
import type { BotContext } from './context-types.js';
import type { EventLog } from './events.js';

export interface ContextFields {
  invocationId: string;
  sessionId: string;
  mode: ModeName;
  org: string;
  signal: AbortSignal;
  bot: ActionBot;
}

export function createContext(fields: ContextFields, dispatcher: Dispatcher, events: EventLog): BotContext {
  const { bot } = fields;
  const act = <Output>(type: string, params: unknown) => dispatcher.perform(type, params, bot) as Promise<Output>;
  return {
    invocationId: fields.invocationId,
    sessionId: fields.sessionId,
    mode: fields.mode,
    org: fields.org,
    bot: { key: bot.id, version: bot.version },
    signal: fields.signal,
    llm: {
      message: (params) => act('llm.message', params),
      stream(params) {
        const deltas = new AsyncQueue<StreamDelta>();
        const output = dispatcher.perform('llm.message', { ...params, stream: true }, bot, (delta) => deltas.push(delta)) as Promise<LlmMessageOutput>;
        output.then(() => deltas.end(), (error: unknown) => deltas.fail(error));
        // A bot that awaits only `output` must not leave an unobserved rejection behind.
        output.catch(() => undefined);
        return { output, [Symbol.asyncIterator]: () => deltas[Symbol.asyncIterator]() };
      },
    },
    codeexec: { run: (params) => act('codeexec.run', params) },
    memory: { search: (params) => act('memory.search', params), add: (params) => act('memory.add', params) },
    act,
    log: (message, data) =>
      events.emit({ type: 'log', at: Date.now(), level: 'info', bot_path: bot.path, message, ...(data !== undefined && { data }) }),
  };
}
