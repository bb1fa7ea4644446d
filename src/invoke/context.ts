import type { ModeName } from '../config/resolve.js';
import type { Dispatcher } from './dispatcher.js';
import type { ActionBot } from '../modes/types.js';
import type { LlmMessageOutput } from '../actions/llm-types.js';
import type { StreamDelta } from '../actions/types.js';
import { AsyncQueue } from './async-queue.js';
import { attachInternals } from '../bots/context-internals.js';
import type { Bot, BotInput } from '../bots/types.js';
import { botVersion } from '../bots/version.js';
import { AgentDepthError } from '../errors.js';
import { responseContent } from './response-content.js';
import type { BotContext } from '../bots/types.js';
import { botInput } from './input.js';
import type { EventLog } from './events.js';
import { createContextFetch } from '../sdk/fetch.js';

export interface ContextFields {
  invocationId: string;
  sessionId: string;
  mode: ModeName;
  org: string;
  signal: AbortSignal;
  bot: ActionBot;
  /** 0 for the invoked bot, n for a sub-agent n calls deep. */
  depth: number;
  /** Finds a sub-agent by key (in the configured bot files) or takes the bot given. */
  resolveBot(botOrKey: Bot | string): Promise<Bot>;
}

/** How deep sub-agents may nest: enough for real delegation, low enough to stop a cycle quickly. */
export const maxAgentDepth = 8;

export function createContext(fields: ContextFields, dispatcher: Dispatcher, events: EventLog): BotContext {
  const { bot } = fields;
  const act = <Output>(type: string, params: unknown) => dispatcher.perform(type, params, bot) as Promise<Output>;
  const context: BotContext = {
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
        const output = dispatcher.perform('llm.message', { ...params, stream: true }, bot, { onDelta: (delta) => deltas.push(delta) }) as Promise<LlmMessageOutput>;
        output.then(() => deltas.end(), (error: unknown) => deltas.fail(error));
        // A bot that awaits only `output` must not leave an unobserved rejection behind.
        output.catch(() => undefined);
        return { output, [Symbol.asyncIterator]: () => deltas[Symbol.asyncIterator]() };
      },
    },
    codeexec: { run: (params) => act('codeexec.run', params) },
    memory: { search: (params) => act('memory.search', params), add: (params) => act('memory.add', params) },
    fetch: createContextFetch({ dispatcher, bot }),
    act,
    invoke: <Output>(botOrKey: Bot<Output> | string, input?: string | Partial<BotInput>) =>
      invokeSubAgent(fields, dispatcher, events, botOrKey as Bot | string, input) as Promise<Output>,
    log: (message, data) =>
      events.emit({ type: 'log', at: Date.now(), level: 'info', bot_path: bot.path, message, ...(data !== undefined && { data }) }),
  };
  attachInternals(context, { dispatcher, bot });
  return context;
}

/**
 * Runs another bot inside this invocation: the same mode, mocks, cache and events; its actions are
 * keyed with its own bot id and version, and everything it says carries the nested bot path.
 */
async function invokeSubAgent(
  parent: ContextFields,
  dispatcher: Dispatcher,
  events: EventLog,
  botOrKey: Bot | string,
  given: string | Partial<BotInput> | undefined,
): Promise<unknown> {
  const key = typeof botOrKey === 'string' ? botOrKey : botOrKey.key;
  if (parent.depth + 1 >= maxAgentDepth) throw new AgentDepthError(`${parent.bot.path} > ${key}`, maxAgentDepth);
  const bot = await parent.resolveBot(botOrKey);
  const path = `${parent.bot.path} > ${bot.key}`;
  const input = botInput({ input: given });
  if (input.prompt) dispatcher.addMessage({ role: 'user', content: input.prompt, bot_path: path, kind: 'input' });
  const context = createContext({ ...parent, bot: { id: bot.key, version: botVersion(bot), path }, depth: parent.depth + 1 }, dispatcher, events);
  const output = await bot.run(input, context);
  if (output !== undefined) dispatcher.addMessage({ role: 'assistant', content: responseContent(output), bot_path: path, kind: 'output' });
  return output;
}
