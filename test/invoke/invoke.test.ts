import { resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  defineBot,
  invoke,
  type BotContext,
  type BotInput,
  type InvokeOptions,
  type InvokeResult,
  type LlmMessageParams,
  type ModeName,
  type Mocks,
  type RehearseEvent,
} from '../../src/index.js';
import { tempDir } from '../support/temp.js';
import { suiteState } from '../support/suite-state.js';

const root = resolve(import.meta.dirname, '../..');

function ask(content: string, extra: Partial<LlmMessageParams> = {}): LlmMessageParams {
  return { model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra };
}

function run(bot: Parameters<typeof invoke>[0], options: InvokeOptions = {}): Promise<InvokeResult> {
  return invoke(bot, { mode: 'manual', env: {}, cwd: tempDir(), ...options });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const toolCall = { id: 'call_1', name: 'lookup_order', arguments: '{"id":"A1"}' };
const mocks: Mocks = {
  'llm.message': [
    { status: 'success', output: { content: null, tool_calls: [toolCall] }, usage: { input_tokens: 30, output_tokens: 5 } },
    { status: 'success', output: 'Your order A1 ships tomorrow.', usage: { input_tokens: 50, output_tokens: 9 } },
  ],
};

const agent = defineBot({
  key: 'order-agent',
  version: 'v1',
  async run(input, ctx) {
    await sleep(20);
    const first = await ctx.llm.message(ask(input.prompt));
    const second = await ctx.llm.message({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'user', content: input.prompt },
        { role: 'assistant', content: first.content, tool_calls: first.tool_calls },
        { role: 'tool', content: '{"ships":"tomorrow"}', tool_call_id: toolCall.id },
      ],
    });
    return { content: second.content };
  },
});

describe('the result of invoke()', () => {
  it('has the fields DESIGN.md names, with the right values', async () => {
    const result = await run(agent, { input: 'Where is order A1?', mocks });
    expect(result.success).toBe(true);
    expect(result.status).toBe('completed');
    expect(result.result).toEqual({ status: 'completed', output: { content: 'Your order A1 ships tomorrow.' }, error: undefined });
    expect(result.error).toBeUndefined();
    expect(result.invocationId).toMatch(/^inv_[0-9a-f-]{36}$/);
    expect(result.sessionId).toMatch(/^sess_[0-9a-f-]{36}$/);
    expect(result.bot).toEqual({ key: 'order-agent', version: 'v1' });
    expect(result.mode).toBe('manual');
    expect(result.org).toBe('default');
    expect(result.usage).toEqual({ inputTokens: 80, outputTokens: 14 });
    expect(result.costUsd).toBe(0);
    expect(result.cache).toEqual({ hits: 0, misses: 0, recorded: 0, savedCostUsd: 0 });
    expect(result.durationMs).toBeGreaterThanOrEqual(15);
    expect(result.durationMs).toBeLessThan(5000);
    const completed = result.events.at(-1) as Extract<RehearseEvent, { type: 'invocation.completed' }>;
    expect(completed.type).toBe('invocation.completed');
    expect(completed.duration_ms).toBe(result.durationMs);
  });

  it('messages: the input, a step per llm.message, the output; each with its bot path', async () => {
    const result = await run(agent, { input: 'Where is order A1?', mocks });
    const actionIds = result.events.filter((event) => event.type === 'action.completed').map((event) => (event as { action_id: string }).action_id);
    expect(result.messages).toEqual([
      { role: 'user', content: 'Where is order A1?', bot_path: 'order-agent', kind: 'input' },
      { role: 'assistant', content: null, tool_calls: [toolCall], bot_path: 'order-agent', kind: 'step', action_id: actionIds[0] },
      { role: 'assistant', content: 'Your order A1 ships tomorrow.', bot_path: 'order-agent', kind: 'step', action_id: actionIds[1] },
      { role: 'assistant', content: 'Your order A1 ships tomorrow.', bot_path: 'order-agent', kind: 'output' },
    ]);
    // Each message is an event too, in the same order.
    const messageEvents = result.events.filter((event) => event.type === 'message').map((event) => (event as { message: unknown }).message);
    expect(messageEvents).toEqual(result.messages);
  });

  it('a run without a prompt has no input message, and a failed run no output message', async () => {
    const result = await run(agent, { mocks: { 'llm.message': { status: 'error', error: 'down' } } });
    expect(result.status).toBe('failed');
    expect(result.messages).toEqual([]);
  });

  it('keeps a given session id and makes a new sess_ id otherwise', async () => {
    const bot = defineBot({ key: 'session-echo', version: 'v1', run: (_input, ctx) => ({ session: ctx.sessionId, invocation: ctx.invocationId }) });
    const given = await run(bot, { sessionId: 'sess_mine' });
    expect(given.sessionId).toBe('sess_mine');
    expect(given.result.output).toEqual({ session: 'sess_mine', invocation: given.invocationId });
    expect(given.events[0]).toMatchObject({ type: 'invocation.started', session_id: 'sess_mine' });

    const a = await run(bot);
    const b = await run(bot);
    expect(a.sessionId).toMatch(/^sess_/);
    expect(b.sessionId).toMatch(/^sess_/);
    expect(a.sessionId).not.toBe(b.sessionId);
    expect(a.invocationId).not.toBe(b.invocationId);
  });

  it('gives the bot its context: ids, mode, org, bot, signal, log', async () => {
    let seen: BotContext | undefined;
    const bot = defineBot({
      key: 'context-bot',
      version: 'v7',
      run(_input, ctx) {
        seen = ctx;
        ctx.log('thinking', { step: 1 });
        return 'ok';
      },
    });
    const result = await run(bot, { org: 'acme' });
    expect(seen?.invocationId).toBe(result.invocationId);
    expect(seen?.mode).toBe('manual');
    expect(seen?.org).toBe('acme');
    expect(seen?.bot).toEqual({ key: 'context-bot', version: 'v7' });
    expect(seen?.signal).toBeInstanceOf(AbortSignal);
    expect(result.org).toBe('acme');
    expect(result.events).toContainEqual(expect.objectContaining({ type: 'log', level: 'info', message: 'thinking', data: { step: 1 }, bot_path: 'context-bot' }));
  });
});

describe('events record what happened', () => {
  it('action.started holds the params as the bot sent them, even if the bot later changes its objects', async () => {
    const bot = defineBot({
      key: 'mutating-bot',
      version: 'v1',
      async run(_input, ctx) {
        const params = ask('first question');
        const reply = await ctx.llm.message(params);
        // A common pattern: keep one conversation array and append to it.
        params.messages.push({ role: 'assistant', content: reply.content }, { role: 'user', content: 'second question' });
        params.model = 'changed-model';
        return (await ctx.llm.message(params)).content;
      },
    });
    const result = await run(bot, { mocks: { 'llm.message': [{ status: 'success', output: 'one' }, { status: 'success', output: 'two' }] } });
    expect(result.status).toBe('completed');
    const started = result.events.filter((event) => event.type === 'action.started').map((event) => (event as { params: unknown }).params);
    expect(started[0]).toEqual(ask('first question'));
    expect(started[1]).toMatchObject({ model: 'changed-model', messages: [{}, {}, {}] });
  });
});

describe('input and parameters', () => {
  it('parameters reach the bot, merged over input.parameters', async () => {
    let received: BotInput | undefined;
    const bot = defineBot({
      key: 'params-bot',
      version: 'v1',
      run(input) {
        received = input;
        return input.parameters.tone;
      },
    });
    const history = [{ role: 'user' as const, content: 'earlier' }, { role: 'assistant' as const, content: 'reply' }];
    const result = await run(bot, {
      input: { prompt: 'now', messages: history, parameters: { tone: 'casual', model: 'small' } },
      parameters: { tone: 'formal', retries: 2 },
    });
    expect(result.result.output).toBe('formal');
    expect(received).toEqual({ prompt: 'now', messages: history, parameters: { tone: 'formal', model: 'small', retries: 2 } });
  });

  it('a string input is the prompt; no input is an empty prompt', async () => {
    const bot = defineBot({ key: 'input-echo', version: 'v1', run: (input) => input });
    expect((await run(bot, { input: 'hi' })).result.output).toEqual({ prompt: 'hi', messages: [], parameters: {} });
    expect((await run(bot)).result.output).toEqual({ prompt: '', messages: [], parameters: {} });
  });
});

describe('failures', () => {
  it('a bot that throws fails with BOT_ERROR and its message', async () => {
    const bot = defineBot({
      key: 'thrower',
      version: 'v1',
      async run() {
        throw new Error('the bot broke');
      },
    });
    const result = await run(bot, { input: 'x' });
    expect(result.success).toBe(false);
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({ code: 'BOT_ERROR', message: 'the bot broke' });
    expect(result.result).toEqual({ status: 'failed', output: undefined, error: result.error });
    expect(result.events.at(-1)).toMatchObject({ type: 'invocation.completed', status: 'failed', error: { code: 'BOT_ERROR', message: 'the bot broke' } });
  });

  it("an error of another kind is named by the error's name; a thrown non-error is BOT_ERROR", async () => {
    const typeError = defineBot({
      key: 'type-error',
      version: 'v1',
      run: () => {
        throw new TypeError('x is not a function');
      },
    });
    expect((await run(typeError)).error).toEqual({ code: 'TypeError', message: 'x is not a function' });

    const throwsString = defineBot({
      key: 'throws-string',
      version: 'v1',
      run: () => {
        throw 'plain string'; // eslint-disable-line @typescript-eslint/only-throw-error
      },
    });
    expect((await run(throwsString)).error).toEqual({ code: 'BOT_ERROR', message: 'plain string' });
  });

  it('timeoutMs ends a slow bot as failed with INVOCATION_TIMEOUT, on time', async () => {
    let signal: AbortSignal | undefined;
    const slow = defineBot({
      key: 'slow',
      version: 'v1',
      async run(_input, ctx) {
        signal = ctx.signal;
        await sleep(1000);
        return 'too late';
      },
    });
    const started = performance.now();
    const result = await run(slow, { timeoutMs: 50 });
    const elapsed = performance.now() - started;
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('INVOCATION_TIMEOUT');
    expect(result.error?.message).toContain('50 ms');
    expect(result.error?.hint).toBeTruthy();
    expect(elapsed).toBeLessThan(600);
    expect(signal?.aborted).toBe(true);
  });

  it('after a timeout, the result no longer changes, even if the bot goes on acting', async () => {
    const mock = vi.fn(() => ({ status: 'success' as const, output: 'late answer' }));
    const stubborn = defineBot({
      key: 'stubborn',
      version: 'v1',
      async run(_input, ctx) {
        await sleep(80); // ignores ctx.signal
        await ctx.llm.message(ask('still here'));
        return 'finished anyway';
      },
    });
    const result = await run(stubborn, { timeoutMs: 20, mocks: { 'llm.message': mock } });
    expect(result.error?.code).toBe('INVOCATION_TIMEOUT');
    const eventCount = result.events.length;
    const messageCount = result.messages.length;
    await sleep(200);
    expect(result.events.at(-1)?.type).toBe('invocation.completed');
    expect(result.events).toHaveLength(eventCount);
    expect(result.messages).toHaveLength(messageCount);
  });

  it.each([700_000, 0, -5, Number.NaN])('timeoutMs %s rejects with USAGE', async (timeoutMs) => {
    const bot = defineBot({ key: 'never-runs', version: 'v1', run: vi.fn(() => 'ran') });
    await expect(run(bot, { timeoutMs })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('600000') });
    expect(bot.run).not.toHaveBeenCalled();
  });

  it('an aborted signal cancels a running invocation', async () => {
    const controller = new AbortController();
    const bot = defineBot({
      key: 'cancellable',
      version: 'v1',
      async run() {
        await sleep(1000);
        return 'not cancelled';
      },
    });
    const started = performance.now();
    const pending = run(bot, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user pressed stop')), 30);
    const result = await pending;
    expect(performance.now() - started).toBeLessThan(600);
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('INVOCATION_CANCELLED');
    expect(result.error?.message).toContain('user pressed stop');
  });

  it('a signal aborted before the call fails the run at once', async () => {
    const controller = new AbortController();
    controller.abort();
    const bot = defineBot({
      key: 'pre-aborted',
      version: 'v1',
      async run() {
        await sleep(1000);
        return 'not cancelled';
      },
    });
    const started = performance.now();
    const result = await run(bot, { signal: controller.signal });
    expect(performance.now() - started).toBeLessThan(600);
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/abort|cancel/i);
  });

  it('a signal aborted before the call never starts the bot', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled before it began'));
    const mock = vi.fn(() => ({ status: 'success' as const, output: 'served anyway' }));
    const bot = defineBot({ key: 'never-started', version: 'v1', run: vi.fn(async (_input: BotInput, ctx: BotContext) => (await ctx.llm.message(ask('hi'))).content) });
    const result = await run(bot, { signal: controller.signal, mocks: { 'llm.message': mock } });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('INVOCATION_CANCELLED');
    expect(result.error?.message).toContain('cancelled before it began');
    expect(bot.run).not.toHaveBeenCalled();
    expect(mock).not.toHaveBeenCalled();
    expect(result.events.map((event) => event.type)).toEqual(['invocation.started', 'invocation.completed']);
  });

  it('invalid llm.message params fail with ACTION_PARAMS_INVALID naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ messages: [{ role: 'user', content: 'hi' }] }, /"model"/],
      [{ model: 'gpt-4o-mini', messages: [{ role: 'robot', content: 'hi' }] }, /messages\[0\]\.role is "robot"/],
      [{ model: 'gpt-4o-mini', messages: [] }, /"messages"/],
      [{ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: -1 }, /"max_tokens"/],
    ];
    for (const [params, field] of cases) {
      const bot = defineBot({ key: 'bad-params', version: 'v1', run: (_input, ctx) => ctx.llm.message(params as LlmMessageParams) });
      const result = await run(bot, { mocks: { 'llm.message': { status: 'success', output: 'never' } } });
      expect(result.status).toBe('failed');
      expect(result.error?.code).toBe('ACTION_PARAMS_INVALID');
      expect(result.error?.message).toContain('llm.message');
      expect(result.error?.message).toMatch(field);
    }
  });
});

describe('modes', () => {
  const modeEcho = defineBot({ key: 'mode-echo', version: 'v1', run: (_input, ctx) => ctx.mode });

  it("mode 'bogus' rejects with USAGE listing the valid modes", async () => {
    await expect(run(modeEcho, { mode: 'bogus' as ModeName })).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringMatching(/bogus.*live, replay, manual/),
    });
  });

  it('REHEARSE_MODE from env selects the mode; a bad value is a USAGE error', async () => {
    const dir = tempDir();
    const result = await invoke(modeEcho, { env: { REHEARSE_MODE: 'manual' }, cwd: dir });
    expect(result.mode).toBe('manual');
    expect(result.result.output).toBe('manual');
    await expect(invoke(modeEcho, { env: { REHEARSE_MODE: 'offline' }, cwd: dir })).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('REHEARSE_MODE'),
    });
  });

  it('an explicit mode option wins over REHEARSE_MODE', async () => {
    const dir = tempDir();
    const result = await invoke(modeEcho, { mode: 'live', env: { REHEARSE_MODE: 'manual' }, cwd: dir });
    expect(result.mode).toBe('live');
    expect(result.result.output).toBe('live');
    expect(result.events[0]).toMatchObject({ type: 'invocation.started', mode: 'live' });
  });

  it('the default mode is live', async () => {
    const result = await invoke(modeEcho, { env: {}, cwd: tempDir() });
    expect(result.mode).toBe('live');
  });
});

describe('bots by key', () => {
  it('an unknown key rejects with BOT_NOT_FOUND suggesting the closest bot', async () => {
    await expect(invoke('suport-bot', { cwd: root, env: suiteState(), mode: 'manual' })).rejects.toMatchObject({
      code: 'BOT_NOT_FOUND',
      message: expect.stringContaining('Did you mean "support-bot"?'),
      knownKeys: expect.arrayContaining(['support-bot']),
    });
  });

  it('a known key runs the bot from the configured files', async () => {
    const result = await invoke('support-bot', {
      cwd: root,
      env: suiteState(),
      mode: 'manual',
      input: 'I was charged twice',
      mocks: 'fixtures/mocks/support-bot.json',
    });
    expect(result.status).toBe('completed');
    expect(result.bot.key).toBe('support-bot');
    expect(result.bot.version).toMatch(/^[0-9a-f]{16}$/);
    expect(result.result.output).toMatchObject({ category: 'billing', content: expect.stringContaining('double charge') });
  });

  it('something that is neither a bot nor a key rejects with USAGE', async () => {
    await expect(run(42 as unknown as string)).rejects.toMatchObject({ code: 'USAGE' });
  });
});
