import { describe, expect, it, vi } from 'vitest';
import {
  defineBot,
  invoke,
  parseMocks,
  registerAction,
  RehearseError,
  type InvokeOptions,
  type InvokeResult,
  type LlmMessageOutput,
  type LlmMessageParams,
  type MockCall,
  type Mocks,
  type RehearseEvent,
} from '../../src/index.js';
import { tempDir } from '../support/temp.js';

type ActionCompleted = Extract<RehearseEvent, { type: 'action.completed' }>;

/** Manual mode, no developer env, no config file: only what the test gives. */
function run(bot: Parameters<typeof invoke>[0], options: InvokeOptions = {}): Promise<InvokeResult> {
  return invoke(bot, { mode: 'manual', env: {}, cwd: tempDir(), ...options });
}

function ask(content: string, extra: Partial<LlmMessageParams> = {}): LlmMessageParams {
  return { model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra };
}

function completedActions(result: InvokeResult): ActionCompleted[] {
  return result.events.filter((event): event is ActionCompleted => event.type === 'action.completed');
}

/** The JSON block of a missing-mock hint: from the line "{" to the line "}". */
function skeletonOf(hint: string | undefined): Mocks {
  const lines = (hint ?? '').split('\n');
  const start = lines.indexOf('{');
  const end = lines.indexOf('}', start);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return JSON.parse(lines.slice(start, end + 1).join('\n')) as Mocks;
}

/** A bot that asks the model once per prompt and returns every answer's content. */
function askingBot(key: string, prompts: Array<string | LlmMessageParams>) {
  return defineBot({
    key,
    version: 'v1',
    async run(_input, ctx) {
      const answers: Array<string | null> = [];
      for (const prompt of prompts) {
        const reply = await ctx.llm.message(typeof prompt === 'string' ? ask(prompt) : prompt);
        answers.push(reply.content);
      }
      return answers;
    },
  });
}

describe('manual mode: serving mocks', () => {
  it('serves a single mock to every call', async () => {
    const bot = askingBot('single-mock', ['one', 'two', 'three']);
    const result = await run(bot, { mocks: { 'llm.message': { status: 'success', output: 'always this' } } });
    expect(result.status).toBe('completed');
    expect(result.mode).toBe('manual');
    expect(result.result.output).toEqual(['always this', 'always this', 'always this']);
    expect(completedActions(result)).toHaveLength(3);
  });

  it('serves a list in order, one mock per call, then fails with MOCK_MISSING once the list is used up', async () => {
    const mocks: Mocks = {
      'llm.message': [
        { status: 'success', output: 'first' },
        { status: 'success', output: 'second' },
        { status: 'success', output: 'third' },
      ],
    };
    const three = await run(askingBot('list-three', ['a', 'b', 'c']), { mocks });
    expect(three.status).toBe('completed');
    expect(three.result.output).toEqual(['first', 'second', 'third']);

    const four = await run(askingBot('list-four', ['a', 'b', 'c', 'd']), { mocks });
    expect(four.status).toBe('failed');
    expect(four.success).toBe(false);
    expect(four.error?.code).toBe('MOCK_MISSING');
    expect(four.error?.message).toContain('call 4 of llm.message');
    expect(four.error?.message).toMatch(/all 3 mocks listed for it were already used/);
    // The three served calls succeeded; the fourth is reported as an error from the mocks.
    const statuses = completedActions(four).map((event) => event.status);
    expect(statuses).toEqual(['success', 'success', 'success', 'error']);
    expect(completedActions(four)[3]?.error?.code).toBe('MOCK_MISSING');
  });

  it('a bare value where a mock belongs (in code) is named as such, with the wrapping to write', async () => {
    const mocks = { 'llm.message': ['first', 'second'] } as unknown as Mocks;
    const result = await run(askingBot('bare-values', ['a']), { mocks });
    expect(result.error?.code).toBe('MOCKS_INVALID');
    expect(result.error?.message).toContain('at $["llm.message"]: a mock is "first", not { status: \'success\', output }');
    expect(result.error?.hint).toBe('Wrap the value: { status: \'success\', output: "first" }.');
  });

  it('each invocation starts its list from the top again', async () => {
    const mocks: Mocks = { 'llm.message': [{ status: 'success', output: 'x' }, { status: 'success', output: 'y' }] };
    const bot = askingBot('list-reset', ['a', 'b']);
    expect((await run(bot, { mocks })).result.output).toEqual(['x', 'y']);
    expect((await run(bot, { mocks })).result.output).toEqual(['x', 'y']);
  });

  it('expands the llm.message shorthand `output: "text"` into a full message', async () => {
    const bot = defineBot({ key: 'shorthand', version: 'v1', run: (_input, ctx) => ctx.llm.message(ask('hi')) });
    const result = await run(bot, { mocks: { 'llm.message': { status: 'success', output: 'text' } } });
    expect(result.status).toBe('completed');
    const expected: LlmMessageOutput = {
      content: 'text',
      tool_calls: [],
      stop_reason: 'end_turn',
      model: 'mock',
      usage: { input_tokens: 0, output_tokens: 0 },
    };
    expect(result.result.output).toEqual(expected);
    expect(completedActions(result)[0]?.output).toEqual(expected);
  });

  it('fills the defaults of a partial llm.message output; tool calls make stop_reason tool_use', async () => {
    const bot = defineBot({ key: 'partial-output', version: 'v1', run: (_input, ctx) => ctx.llm.message(ask('weather?')) });
    const toolCall = { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' };
    const result = await run(bot, { mocks: { 'llm.message': { status: 'success', output: { content: null, tool_calls: [toolCall] } } } });
    expect(result.result.output).toEqual({
      content: null,
      tool_calls: [toolCall],
      stop_reason: 'tool_use',
      model: 'mock',
      usage: { input_tokens: 0, output_tokens: 0 },
    });
  });
});

describe('manual mode: `when` matchers', () => {
  it('matches a plain subset of the params (other fields ignored)', async () => {
    const bot = askingBot('when-subset', [ask('q1', { model: 'big-model', temperature: 0.5 }), ask('q2', { model: 'small-model' })]);
    const result = await run(bot, {
      mocks: {
        'llm.message': [
          { status: 'success', output: 'from small', when: { model: 'small-model' } },
          { status: 'success', output: 'from big', when: { model: 'big-model' } },
        ],
      },
    });
    expect(result.result.output).toEqual(['from big', 'from small']);
  });

  it('a single rule whose `when` does not match is a missing mock', async () => {
    const bot = askingBot('when-unmatched', [ask('q', { model: 'other-model' })]);
    const result = await run(bot, { mocks: { 'llm.message': { status: 'success', output: 'x', when: { model: 'big-model' } } } });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('MOCK_MISSING');
    expect(result.error?.message).toContain('no mock for it matches these params');
  });

  it('matches { $contains } and { $regex }', async () => {
    const bot = askingBot('when-operators', [
      ask('Where is my parcel?', { system: 'Classify the message' }),
      ask('I want a refund', { system: 'You are an agent' }),
    ]);
    const result = await run(bot, {
      mocks: {
        'llm.message': [
          { status: 'success', output: 'answer', when: { system: { $contains: 'agent' } } },
          { status: 'success', output: 'shipping', when: { system: { $regex: '^Classify\\b' }, messages: { $regex: 'parcel|package' } } },
        ],
      },
    });
    expect(result.result.output).toEqual(['shipping', 'answer']);
  });

  it('$contains does not match text that lacks it', async () => {
    const bot = askingBot('when-contains-miss', [ask('hello', { system: 'Classify' })]);
    const result = await run(bot, { mocks: { 'llm.message': { status: 'success', output: 'x', when: { system: { $contains: 'agent' } } } } });
    expect(result.error?.code).toBe('MOCK_MISSING');
  });

  it('matches nested objects and arrays (arrays element by element, same length)', async () => {
    const bot = askingBot('when-nested', [
      ask('short', { stop: ['END'] }),
      ask('long', { stop: ['\n', 'END'], response_format: { type: 'json_object' } }),
    ]);
    const result = await run(bot, {
      mocks: {
        'llm.message': [
          {
            status: 'success',
            output: 'nested',
            when: { response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'long' }] },
          },
          { status: 'success', output: 'array', when: { stop: ['END'] } },
        ],
      },
    });
    expect(result.result.output).toEqual(['array', 'nested']);

    // ['END'] must not match ['\n', 'END']: arrays match whole, not as a prefix.
    const strict = await run(askingBot('when-array-length', [ask('x', { stop: ['\n', 'END'] })]), {
      mocks: { 'llm.message': { status: 'success', output: 'never', when: { stop: ['\n'] } } },
    });
    expect(strict.error?.code).toBe('MOCK_MISSING');
  });

  it('serves the first unused rule that matches', async () => {
    const bot = askingBot('when-first-unused', [ask('a', { model: 'm-a' }), ask('a', { model: 'm-a' }), ask('b', { model: 'm-b' }), ask('a', { model: 'm-a' })]);
    const result = await run(bot, {
      mocks: {
        'llm.message': [
          { status: 'success', output: 'a1', when: { model: 'm-a' } },
          { status: 'success', output: 'b1', when: { model: 'm-b' } },
          { status: 'success', output: 'a2', when: { model: 'm-a' } },
          { status: 'success', output: 'any' },
        ],
      },
    });
    expect(result.status).toBe('completed');
    expect(result.result.output).toEqual(['a1', 'a2', 'b1', 'any']);
  });

  it('when the unused rules left do not match, the error says so rather than "all were used"', async () => {
    const bot = askingBot('when-partly-used', [ask('a', { model: 'm-a' }), ask('a again', { model: 'm-a' })]);
    const result = await run(bot, {
      mocks: {
        'llm.message': [
          { status: 'success', output: 'a1', when: { model: 'm-a' } },
          { status: 'success', output: 'b1', when: { model: 'm-b' } },
        ],
      },
    });
    expect(result.error?.code).toBe('MOCK_MISSING');
    expect(result.error?.message).toContain('call 2 of llm.message');
    // One of the two listed mocks is still unused: it just does not match these params.
    expect(result.error?.message).not.toMatch(/all \d+ mocks listed for it were already used/);
    expect(result.error?.message).toMatch(/match/);
  });

  it('takes a RegExp and a predicate function as matchers (TypeScript)', async () => {
    const bot = askingBot('when-functions', [ask('refund please', { temperature: 0 }), ask('hello', { temperature: 0.9 }), ask('hello', { temperature: 0.1 })]);
    const predicate = vi.fn((params: unknown) => (params as LlmMessageParams).temperature === 0.9);
    const result = await run(bot, {
      mocks: {
        'llm.message': [
          { status: 'success', output: 'by predicate', when: predicate },
          { status: 'success', output: 'by regexp', when: /refund/ },
          { status: 'success', output: 'by field predicate', when: { temperature: (value: unknown) => typeof value === 'number' && value < 0.5 } },
        ],
      },
    });
    expect(result.result.output).toEqual(['by regexp', 'by predicate', 'by field predicate']);
    expect(predicate).toHaveBeenCalledWith(expect.objectContaining({ model: 'gpt-4o-mini' }));
  });
});

describe('manual mode: function mocks', () => {
  it('calls the function with (params, { actionType, params, index }) and serves its response', async () => {
    const mock = vi.fn((params: unknown, call: MockCall) => ({
      status: 'success' as const,
      output: `answer ${call.index} to ${(params as LlmMessageParams).messages[0]?.content}`,
    }));
    const bot = askingBot('function-mock', ['first?', 'second?']);
    const result = await run(bot, { mocks: { 'llm.message': mock } });
    expect(result.status).toBe('completed');
    expect(result.result.output).toEqual(['answer 0 to first?', 'answer 1 to second?']);
    expect(mock).toHaveBeenCalledTimes(2);
    expect(mock.mock.calls[0]?.[0]).toEqual(ask('first?'));
    expect(mock.mock.calls[0]?.[1]).toEqual({ actionType: 'llm.message', params: ask('first?'), index: 0 });
    expect(mock.mock.calls[1]?.[1]).toMatchObject({ actionType: 'llm.message', index: 1 });
  });

  it('waits for an async function', async () => {
    const bot = askingBot('async-function-mock', ['slow?']);
    const result = await run(bot, {
      mocks: {
        'llm.message': async () => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return { status: 'success', output: 'late answer' };
        },
      },
    });
    expect(result.status).toBe('completed');
    expect(result.result.output).toEqual(['late answer']);
  });

  it('a function may answer with an error', async () => {
    const bot = askingBot('function-error', ['x']);
    const result = await run(bot, { mocks: { 'llm.message': () => ({ status: 'error', error: 'function said no' }) } });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('ACTION_FAILED');
    expect(result.error?.message).toContain('function said no');
  });
});

describe('manual mode: error mocks', () => {
  function catchingBot(key: string) {
    return defineBot({
      key,
      version: 'v1',
      async run(_input, ctx) {
        try {
          await ctx.llm.message(ask('will fail'));
          return { caught: null };
        } catch (error) {
          const failure = error as RehearseError;
          return { caught: failure.code, message: failure.message, hint: failure.hint, isRehearseError: failure instanceof RehearseError };
        }
      },
    });
  }

  it('{ status: "error", error: "boom" } throws ACTION_FAILED, which the bot can catch', async () => {
    const result = await run(catchingBot('catches-string'), { mocks: { 'llm.message': { status: 'error', error: 'boom' } } });
    expect(result.status).toBe('completed');
    expect(result.result.output).toMatchObject({ caught: 'ACTION_FAILED', isRehearseError: true });
    expect((result.result.output as { message: string }).message).toContain('boom');
    const [event] = completedActions(result);
    expect(event).toMatchObject({ status: 'error', source: 'mock', error: { code: 'ACTION_FAILED' } });
  });

  it('{ status: "error", error: { message, code } } throws ACTION_FAILED with the message, the code in its hint', async () => {
    const result = await run(catchingBot('catches-object'), {
      mocks: { 'llm.message': { status: 'error', error: { message: 'rate limited, boom', code: 'rate_limit_exceeded' } } },
    });
    expect(result.status).toBe('completed');
    const output = result.result.output as { caught: string; message: string; hint: string };
    expect(output.caught).toBe('ACTION_FAILED');
    expect(output.message).toContain('rate limited, boom');
    expect(output.hint).toContain('rate_limit_exceeded');
  });

  it('an error the bot does not catch fails the run', async () => {
    const bot = askingBot('uncaught-error', ['x']);
    for (const error of ['boom', { message: 'boom', code: 'E_BOOM' }]) {
      const result = await run(bot, { mocks: { 'llm.message': { status: 'error', error } } });
      expect(result.status).toBe('failed');
      expect(result.success).toBe(false);
      expect(result.result.status).toBe('failed');
      expect(result.result.output).toBeUndefined();
      expect(result.error?.code).toBe('ACTION_FAILED');
      expect(result.result.error?.message).toContain('boom');
    }
  });

  it('a list can fail first and succeed on the retry', async () => {
    const bot = defineBot({
      key: 'retrying',
      version: 'v1',
      async run(_input, ctx) {
        for (let attempt = 1; ; attempt++) {
          try {
            const reply = await ctx.llm.message(ask('flaky'));
            return { attempt, content: reply.content };
          } catch (error) {
            if (attempt >= 3) throw error;
          }
        }
      },
    });
    const result = await run(bot, {
      mocks: { 'llm.message': [{ status: 'error', error: 'overloaded' }, { status: 'success', output: 'fine now' }] },
    });
    expect(result.result.output).toEqual({ attempt: 2, content: 'fine now' });
  });
});

describe('manual mode: a missing mock', () => {
  const params = ask('What is the refund policy?', { temperature: 0 });
  const bot = defineBot({ key: 'needs-a-mock', version: 'v1', run: async (_input, ctx) => (await ctx.llm.message(params)).content });

  it('names the action type and the params', async () => {
    const result = await run(bot);
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('MOCK_MISSING');
    expect(result.error?.message).toContain('llm.message');
    expect(result.error?.message).toContain(JSON.stringify(params));
    expect(result.error?.hint).toContain('No mocks were given');
  });

  it('offers a JSON skeleton that, pasted as mocks, makes the same run complete', async () => {
    const failed = await run(bot);
    const skeleton = skeletonOf(failed.error?.hint);
    expect(skeleton).toEqual({ 'llm.message': [{ status: 'success', output: expect.anything() }] });
    // It is a valid mocks file too.
    expect(() => parseMocks(skeleton, 'skeleton')).not.toThrow();

    const fixed = await run(bot, { mocks: skeleton });
    expect(fixed.status).toBe('completed');
    expect(typeof fixed.result.output).toBe('string');
  });

  it('lists the mocks that do exist (a typo in the action type)', async () => {
    const result = await run(bot, { mocks: { 'llm.mesage': { status: 'success', output: 'never served' } } });
    expect(result.error?.code).toBe('MOCK_MISSING');
    expect(result.error?.message).toContain('there is no mock for it');
    expect(result.error?.hint).toContain('These mocks exist: llm.mesage');
  });
});

describe('manual mode: custom action types', () => {
  const live = vi.fn(async () => ({ output: { celsius: -1 } }));
  registerAction<{ city: string }, { celsius: number }>({
    type: 'weather.lookup',
    validate(params) {
      const city = (params as { city?: unknown } | null)?.city;
      if (typeof city !== 'string') throw new Error('city must be a string');
      return { city };
    },
    run: live,
  });

  const weatherBot = defineBot({
    key: 'weather-bot',
    version: 'v1',
    async run(input, ctx) {
      const city = String(input.parameters.city);
      const weather = await ctx.act<{ celsius: number }>('weather.lookup', { city });
      return `${city}: ${weather.celsius}°C`;
    },
  });

  it('are mocked like built-in types, with `when`, and never run live', async () => {
    const mocks: Mocks = {
      'weather.lookup': [
        { status: 'success', output: { celsius: 21 }, when: { city: 'Paris' } },
        { status: 'success', output: { celsius: 12 }, when: { city: { $regex: '^Osl' } } },
      ],
    };
    const paris = await run(weatherBot, { mocks, parameters: { city: 'Paris' } });
    expect(paris.status).toBe('completed');
    expect(paris.result.output).toBe('Paris: 21°C');
    const oslo = await run(weatherBot, { mocks, parameters: { city: 'Oslo' } });
    expect(oslo.result.output).toBe('Oslo: 12°C');
    expect(completedActions(oslo)[0]).toMatchObject({ action_type: 'weather.lookup', source: 'mock', output: { celsius: 12 } });
    expect(live).not.toHaveBeenCalled();
  });

  it('a missing mock names the custom type, and its skeleton completes the run', async () => {
    const failed = await run(weatherBot, { parameters: { city: 'Rome' } });
    expect(failed.error?.code).toBe('MOCK_MISSING');
    expect(failed.error?.message).toContain('weather.lookup');
    expect(failed.error?.message).toContain('"city":"Rome"');
    const skeleton = skeletonOf(failed.error?.hint);
    expect(Object.keys(skeleton)).toEqual(['weather.lookup']);
    const bot = defineBot({ key: 'weather-raw', version: 'v1', run: (_input, ctx) => ctx.act('weather.lookup', { city: 'Rome' }) });
    const fixed = await run(bot, { mocks: skeleton });
    expect(fixed.status).toBe('completed');
    expect(live).not.toHaveBeenCalled();
  });

  it('an unknown type through ctx.act fails with ACTION_UNKNOWN and a "Did you mean"', async () => {
    const bot = defineBot({ key: 'typo-bot', version: 'v1', run: (_input, ctx) => ctx.act('weather.lookpu', { city: 'Paris' }) });
    const result = await run(bot, { mocks: { 'weather.lookpu': { status: 'success', output: {} } } });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('ACTION_UNKNOWN');
    expect(result.error?.message).toContain('weather.lookpu');
    expect(result.error?.message).toContain('Did you mean "weather.lookup"?');
    expect(live).not.toHaveBeenCalled();
  });
});

describe('manual mode: events and usage', () => {
  it('every action.completed has source "mock", a duration and no cache key', async () => {
    const bot = defineBot({
      key: 'event-bot',
      version: 'v1',
      async run(_input, ctx) {
        await ctx.llm.message(ask('one'));
        await ctx.memory.search({ query: 'refunds' });
        try {
          await ctx.codeexec.run({ language: 'python', code: 'print(1)' });
        } catch {
          // the mocked error is expected
        }
        return 'done';
      },
    });
    const result = await run(bot, {
      mocks: {
        'llm.message': { status: 'success', output: 'one' },
        'memory.search': { status: 'success', output: { results: [] } },
        'codeexec.run': { status: 'error', error: 'sandbox down' },
      },
    });
    expect(result.status).toBe('completed');
    const completed = completedActions(result);
    expect(completed.map((event) => [event.action_type, event.status])).toEqual([
      ['llm.message', 'success'],
      ['memory.search', 'success'],
      ['codeexec.run', 'error'],
    ]);
    for (const event of completed) {
      expect(event.source).toBe('mock');
      expect(event.duration_ms).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(event.duration_ms)).toBe(true);
      expect(event).not.toHaveProperty('cache_key');
      expect(event.cost_usd).toBe(0);
    }
    expect(result.cache).toEqual({ hits: 0, misses: 0, recorded: 0, savedCostUsd: 0 });
    expect(result.events.some((event) => event.type === 'log' && event.level === 'warn')).toBe(false);
  });

  it.each(['live', 'replay'] as const)('mocks given in %s mode produce a warning log event', async (mode) => {
    const dir = tempDir();
    const bot = defineBot({ key: `warn-${mode}`, version: 'v1', run: () => 'no actions' });
    const result = await invoke(bot, {
      mode,
      env: {},
      cwd: dir,
      cachePath: `${dir}/cache.sqlite`,
      mocks: { 'llm.message': { status: 'success', output: 'unused' } },
    });
    expect(result.status).toBe('completed');
    const warnings = result.events.filter((event) => event.type === 'log' && event.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ type: 'log', level: 'warn', bot_path: `warn-${mode}` });
    expect((warnings[0] as { message: string }).message).toMatch(new RegExp(`only used in manual mode.*${mode} mode`));
  });

  it('sums the usage and cost of mocks into the result', async () => {
    const bot = askingBot('usage-bot', ['a', 'b', 'c']);
    const result = await run(bot, {
      mocks: {
        'llm.message': [
          { status: 'success', output: 'a', usage: { input_tokens: 10, output_tokens: 2 }, cost_usd: 0.01 },
          { status: 'success', output: { content: 'b', usage: { input_tokens: 7, output_tokens: 3 } } },
          { status: 'success', output: 'c', usage: { input_tokens: 5, output_tokens: 1 }, cost_usd: 0.02 },
        ],
      },
    });
    expect(result.status).toBe('completed');
    expect(result.usage).toEqual({ inputTokens: 22, outputTokens: 6 });
    expect(result.costUsd).toBeCloseTo(0.03, 10);
    expect(completedActions(result).map((event) => event.usage)).toEqual([
      { input_tokens: 10, output_tokens: 2 },
      { input_tokens: 7, output_tokens: 3 },
      { input_tokens: 5, output_tokens: 1 },
    ]);
  });
});
