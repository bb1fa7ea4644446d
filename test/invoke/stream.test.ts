import { describe, expect, it, vi } from 'vitest';
import {
  defineBot,
  invoke,
  type InvokeResult,
  type LlmMessageParams,
  type Mocks,
  type RehearseEvent,
  type StreamItem,
  type StreamingInvokeOptions,
} from '../../src/index.js';
import { tempDir } from '../support/temp.js';

function ask(content: string): LlmMessageParams {
  return { model: 'gpt-4o-mini', messages: [{ role: 'user', content }] };
}

const mocks: Mocks = { 'llm.message': [{ status: 'success', output: 'one' }, { status: 'success', output: 'two' }] };

function streamOptions(extra: Partial<StreamingInvokeOptions> = {}): StreamingInvokeOptions {
  return { stream: true, mode: 'manual', env: {}, cwd: tempDir(), input: 'hello', mocks, ...extra };
}

async function collect(stream: AsyncIterable<StreamItem>): Promise<StreamItem[]> {
  const items: StreamItem[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

const twoCalls = defineBot({
  key: 'two-calls',
  version: 'v1',
  async run(_input, ctx) {
    const first = await ctx.llm.message(ask('first'));
    const second = await ctx.llm.message(ask('second'));
    return `${first.content} ${second.content}`;
  },
});

describe('invoke with stream: true', () => {
  it('is an async iterable of the events, ending with the result', async () => {
    const stream = invoke(twoCalls, streamOptions());
    expect(typeof stream[Symbol.asyncIterator]).toBe('function');
    expect(stream.result).toBeInstanceOf(Promise);

    const items = await collect(stream);
    const last = items.at(-1);
    expect(last?.type).toBe('result');
    const result = (last as { type: 'result'; result: InvokeResult }).result;
    expect(result.status).toBe('completed');
    expect(result.result.output).toBe('one two');
    // stream.result is the very same object.
    expect(await stream.result).toBe(result);
    // Everything before the result is the run's events, in order, each once.
    expect(items.slice(0, -1)).toEqual(result.events);
    expect(items[0]?.type).toBe('invocation.started');
    expect(items.at(-2)?.type).toBe('invocation.completed');
    expect(items.filter((item) => item.type === 'result')).toHaveLength(1);
  });

  it('yields events while the bot runs, not after it ends', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let releasedByTimer = false;
    const fallback = setTimeout(() => {
      releasedByTimer = true;
      release();
    }, 3000);

    const bot = defineBot({
      key: 'gated',
      version: 'v1',
      async run(_input, ctx) {
        await ctx.llm.message(ask('first'));
        await gate;
        await ctx.llm.message(ask('second'));
        return 'done';
      },
    });

    const seen: string[] = [];
    const stream = invoke(bot, streamOptions());
    for await (const item of stream) {
      seen.push(item.type === 'action.completed' || item.type === 'action.started' ? `${item.type}:${item.action_id}` : item.type);
      if (item.type === 'action.completed' && item.action_id === 'action_1') {
        // The bot is parked at the gate: the second action has not started yet.
        expect(seen.some((entry) => entry.startsWith('action.started:action_2'))).toBe(false);
        seen.push('released');
        release();
      }
    }
    clearTimeout(fallback);

    expect(releasedByTimer).toBe(false);
    expect(seen.indexOf('action.completed:action_1')).toBeLessThan(seen.indexOf('released'));
    expect(seen.indexOf('released')).toBeLessThan(seen.indexOf('action.started:action_2'));
    expect(seen.at(-1)).toBe('result');
    expect((await stream.result).result.output).toBe('done');
  });

  it('a failed run still ends with a result item', async () => {
    const failing = defineBot({
      key: 'failing-stream',
      version: 'v1',
      run: async (_input, ctx) => (await ctx.llm.message(ask('unmocked'))).content,
    });
    const stream = invoke(failing, streamOptions({ mocks: {} }));
    const items = await collect(stream);
    const last = items.at(-1);
    expect(last?.type).toBe('result');
    const result = (last as { type: 'result'; result: InvokeResult }).result;
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('MOCK_MISSING');
    expect(items.at(-2)).toMatchObject({ type: 'invocation.completed', status: 'failed' });
    expect(await stream.result).toBe(result);
  });

  it('a bot that throws still ends with a result item', async () => {
    const throwing = defineBot({
      key: 'throwing-stream',
      version: 'v1',
      run: () => {
        throw new Error('kaput');
      },
    });
    const items = await collect(invoke(throwing, streamOptions()));
    expect(items.at(-1)).toMatchObject({ type: 'result', result: { status: 'failed', error: { code: 'BOT_ERROR', message: 'kaput' } } });
  });

  it('a setup error (an unknown bot key) is thrown from the iterator, and stream.result rejects with it', async () => {
    const stream = invoke('nope', streamOptions({ cwd: tempDir() }));
    const items: StreamItem[] = [];
    let thrown: unknown;
    try {
      for await (const item of stream) items.push(item);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'BOT_NOT_FOUND', message: expect.stringContaining('"nope"') });
    expect((thrown as { hint?: string }).hint).toMatch(/No bot files are configured/);
    expect(items.some((item) => item.type === 'result')).toBe(false);
    await expect(stream.result).rejects.toBe(thrown);
  });

  it('an invalid option is thrown from the iterator too', async () => {
    const stream = invoke(twoCalls, streamOptions({ format: 'xml' as 'text' }));
    await expect(collect(stream)).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('the result of a stream carries the requested format', async () => {
    const stream = invoke(twoCalls, streamOptions({ format: 'text' }));
    await collect(stream);
    expect((await stream.result).formatted).toBe('one two');
  });
});

describe('printEvents', () => {
  it('a function receives every event, in order, as it happens', async () => {
    const received: RehearseEvent[] = [];
    const result = await invoke(twoCalls, {
      mode: 'manual',
      env: {},
      cwd: tempDir(),
      input: 'hello',
      mocks,
      printEvents: (event) => received.push(event),
    });
    expect(received.length).toBeGreaterThan(4);
    expect(received).toEqual(result.events);
    expect(received.map((event) => event.type)).toEqual(result.events.map((event) => event.type));
  });

  it('with a stream, the function and the iterator see the same events', async () => {
    const printed: RehearseEvent[] = [];
    const stream = invoke(twoCalls, streamOptions({ printEvents: (event) => printed.push(event) }));
    const items = await collect(stream);
    expect(printed).toEqual(items.slice(0, -1));
  });

  it('the function is called before the bot moves on (while it runs)', async () => {
    const order: string[] = [];
    const bot = defineBot({
      key: 'print-order',
      version: 'v1',
      async run(_input, ctx) {
        await ctx.llm.message(ask('first'));
        order.push('bot continues');
        return 'ok';
      },
    });
    await invoke(bot, {
      mode: 'manual',
      env: {},
      cwd: tempDir(),
      mocks,
      printEvents: (event) => order.push(event.type),
    });
    expect(order.indexOf('action.completed')).toBeLessThan(order.indexOf('bot continues'));
    expect(order.at(-1)).toBe('invocation.completed');
  });

  it('true prints one line per event to stderr', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const result = await invoke(twoCalls, { mode: 'manual', env: {}, cwd: tempDir(), input: 'hello', mocks, printEvents: true });
      const lines = write.mock.calls.map((call) => String(call[0]));
      expect(lines).toHaveLength(result.events.length);
      expect(lines.every((line) => line.endsWith('\n'))).toBe(true);
      // eslint-disable-next-line no-control-regex
      const text = lines.join('').replace(/\x1b\[[0-9;]*m/g, '');
      expect(text).toContain('two-calls (v1) · manual mode');
      expect(text).toMatch(/llm\.message from mock in/);
      expect(text).toMatch(/completed in/);
    } finally {
      write.mockRestore();
    }
  });
});
