import { describe, expect, it } from 'vitest';
import {
  defineBot,
  formatResult,
  invoke,
  type InvokeOptions,
  type InvokeResult,
  type JsonSummary,
  type LlmMessageParams,
  type Mocks,
  type OutputFormat,
  type RehearseEvent,
} from '../../src/index.js';
import { tempDir } from '../support/temp.js';

type ActionStarted = Extract<RehearseEvent, { type: 'action.started' }>;
type ActionCompleted = Extract<RehearseEvent, { type: 'action.completed' }>;

/** Text without colour codes, whether or not picocolors decided to colour it. */
function plain(text: unknown): string {
  expect(typeof text).toBe('string');
  // eslint-disable-next-line no-control-regex
  return (text as string).replace(/\x1b\[[0-9;]*m/g, '');
}

function ask(content: string): LlmMessageParams {
  return { model: 'gpt-4o-mini', messages: [{ role: 'user', content }] };
}

/** Two LLM calls: classify, then answer. */
const twoStepBot = defineBot({
  key: 'two-step',
  version: 'v1',
  async run(input, ctx) {
    const kind = await ctx.llm.message(ask(`classify: ${input.prompt}`));
    const reply = await ctx.llm.message(ask(`answer (${kind.content}): ${input.prompt}`));
    return { content: reply.content, category: kind.content };
  },
});

const mocks: Mocks = {
  'llm.message': [
    { status: 'success', output: 'billing', usage: { input_tokens: 40, output_tokens: 1 }, cost_usd: 0.004 },
    { status: 'success', output: 'Your refund is on its way.', usage: { input_tokens: 80, output_tokens: 20 }, cost_usd: 0.0123 },
  ],
};

const failingBot = defineBot({
  key: 'fails',
  version: 'v1',
  run: async (_input, ctx) => (await ctx.llm.message(ask('no mock for this'))).content,
});

function run(bot: Parameters<typeof invoke>[0], options: InvokeOptions = {}): Promise<InvokeResult> {
  return invoke(bot, { mode: 'manual', env: {}, cwd: tempDir(), input: 'I was charged twice', mocks, ...options });
}

const designJsonFields = [
  'invocation_id',
  'session_id',
  'response_content',
  'input_tokens',
  'output_tokens',
  'total_cost_usd',
  'duration_ms',
  'status',
  'cache',
] as const;

function snakeCaseKeys(value: unknown): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...snakeCaseKeys(inner)]);
}

describe("format 'events'", () => {
  it('is the default, and is the events array of the run', async () => {
    const result = await run(twoStepBot);
    expect(result.status).toBe('completed');
    expect(Array.isArray(result.formatted)).toBe(true);
    expect(result.formatted).toBe(result.events);

    const events = result.formatted as RehearseEvent[];
    expect(events[0]?.type).toBe('invocation.started');
    expect(events.at(-1)?.type).toBe('invocation.completed');
    expect(events.filter((event) => event.type === 'invocation.started')).toHaveLength(1);
    expect(events.filter((event) => event.type === 'invocation.completed')).toHaveLength(1);
    expect(events[0]).toMatchObject({ invocation_id: result.invocationId, session_id: result.sessionId, bot_id: 'two-step', bot_version: 'v1', mode: 'manual' });
    expect(events.at(-1)).toMatchObject({ invocation_id: result.invocationId, status: 'completed' });

    // Each action: a started event, later a completed event with the same action_id.
    const started = events.filter((event): event is ActionStarted => event.type === 'action.started');
    const completed = events.filter((event): event is ActionCompleted => event.type === 'action.completed');
    expect(started).toHaveLength(2);
    expect(completed.map((event) => event.action_id)).toEqual(started.map((event) => event.action_id));
    expect(new Set(started.map((event) => event.action_id)).size).toBe(2);
    for (const start of started) {
      const end = completed.find((event) => event.action_id === start.action_id);
      expect(events.indexOf(start)).toBeLessThan(events.indexOf(end!));
      expect(end).toMatchObject({ action_type: start.action_type, bot_path: start.bot_path, source: 'mock', status: 'success' });
    }
    expect(started[0]?.params).toEqual(ask('classify: I was charged twice'));
    // Timestamps never go backwards.
    const times = events.map((event) => event.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("format: 'events' given explicitly is the same", async () => {
    const result = await run(twoStepBot, { format: 'events' });
    expect(result.formatted).toBe(result.events);
  });

  it('a failed run ends with invocation.completed holding the error', async () => {
    const result = await run(failingBot, { format: 'events', mocks: {} });
    const events = result.formatted as RehearseEvent[];
    expect(events.at(-1)).toMatchObject({ type: 'invocation.completed', status: 'failed', error: { code: 'MOCK_MISSING' } });
    const completed = events.find((event): event is ActionCompleted => event.type === 'action.completed');
    expect(completed).toMatchObject({ status: 'error', source: 'mock', error: { code: 'MOCK_MISSING' } });
  });
});

describe("format 'text'", () => {
  it('is the response content', async () => {
    const result = await run(twoStepBot, { format: 'text' });
    expect(result.formatted).toBe('Your refund is on its way.');
  });

  it('is a string output as it is, and other outputs as JSON', async () => {
    const stringBot = defineBot({ key: 'says-hi', version: 'v1', run: () => 'hi there' });
    expect((await run(stringBot, { format: 'text' })).formatted).toBe('hi there');
    const objectBot = defineBot({ key: 'gives-object', version: 'v1', run: () => ({ total: 3 }) });
    expect(JSON.parse(plain((await run(objectBot, { format: 'text' })).formatted))).toEqual({ total: 3 });
  });

  it('with verbose: a line per step with its source, duration and cost, then the totals', async () => {
    const result = await run(twoStepBot, { format: 'text', verbose: true });
    const text = plain(result.formatted);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Your refund is on its way.');

    const steps = lines.filter((line) => /^\s+\d+\. /.test(line));
    expect(steps).toHaveLength(2);
    expect(steps[0]).toMatch(/^\s+1\. ok\s+llm\.message\s+mock\s+[\d.]+ (ms|s)\s+40→1 tok\s+\$0\.004000\s+two-step$/);
    expect(steps[1]).toMatch(/^\s+2\. ok\s+llm\.message\s+mock\s+[\d.]+ (ms|s)\s+80→20 tok\s+\$0\.0123\s+two-step$/);

    expect(text).toContain('two-step (version v1) · manual mode · org default');
    const totals = lines.find((line) => line.includes('actions ·'));
    expect(totals).toMatch(/^\s+completed in [\d.]+ (ms|s) · 2 actions · tokens 120 in \/ 21 out · cost \$0\.0163$/);
    expect(text).toContain(`invocation ${result.invocationId} · session ${result.sessionId}`);
  });

  it('without verbose there are no step lines', async () => {
    const text = plain((await run(twoStepBot, { format: 'text' })).formatted);
    expect(text).not.toContain('llm.message');
    expect(text.split('\n')).toHaveLength(1);
  });

  it('a failed run shows the error and its hint', async () => {
    const result = await run(failingBot, { format: 'text', mocks: {} });
    const text = plain(result.formatted);
    expect(result.error?.hint).toBeTruthy();
    expect(text.startsWith(`Failed: ${result.error?.message}`)).toBe(true);
    expect(text).toContain('no mock');
    expect(text).toContain(result.error!.hint!);
    expect(text).toContain('"llm.message"'); // the skeleton to paste
  });

  it('a failed run with verbose shows the failed step', async () => {
    const result = await run(failingBot, { format: 'text', verbose: true, mocks: {} });
    const text = plain(result.formatted);
    expect(text).toMatch(/^\s+1\. err\s+llm\.message\s+mock\s/m);
    expect(text).toMatch(/^\s+failed in .* · 1 actions · tokens 0 in \/ 0 out · cost \$0$/m);
  });
});

describe("format 'json'", () => {
  it('holds exactly the snake_case summary, with the right values', async () => {
    const result = await run(twoStepBot, { format: 'json', sessionId: 'sess_fixed' });
    const summary = result.formatted as JsonSummary;
    for (const field of designJsonFields) expect(summary).toHaveProperty(field);
    expect(snakeCaseKeys(summary).every((key) => /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(key))).toBe(true);
    expect(summary).toEqual({
      invocation_id: result.invocationId,
      session_id: 'sess_fixed',
      bot_id: 'two-step',
      bot_version: 'v1',
      mode: 'manual',
      status: 'completed',
      response_content: 'Your refund is on its way.',
      input_tokens: 120,
      output_tokens: 21,
      total_cost_usd: result.costUsd,
      duration_ms: Math.round(result.durationMs),
      cache: { hits: 0, misses: 0, recorded: 0, saved_cost_usd: 0 },
      error: null,
      llm: [{ provider: 'openai', model: 'gpt-4o-mini', reasoning_effort: null, calls: 2 }],
    });
    expect(summary.total_cost_usd).toBeCloseTo(0.0163, 10);
    expect(summary.invocation_id).toMatch(/^inv_/);
    expect(Number.isInteger(summary.duration_ms)).toBe(true);
    // Plain data: it survives JSON unchanged.
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });

  it('a failed run has status "failed", no content and the error code', async () => {
    const result = await run(failingBot, { format: 'json', mocks: {} });
    const summary = result.formatted as JsonSummary;
    expect(summary.status).toBe('failed');
    expect(summary.response_content).toBeNull();
    expect(summary.error?.code).toBe('MOCK_MISSING');
    expect(summary.error?.message).toBe(result.error?.message);
    expect(summary.error?.hint).toBe(result.error?.hint);
  });
});

describe('format errors and formatResult', () => {
  it('an unknown format rejects with USAGE naming the formats', async () => {
    await expect(run(twoStepBot, { format: 'yaml' as OutputFormat })).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringMatching(/yaml.*events, text, json/),
    });
  });

  it('formatResult formats a result again in any format', async () => {
    const result = await run(twoStepBot, { sessionId: 'sess_again' });
    expect(formatResult(result)).toBe(result.events);
    expect(formatResult(result, 'events')).toBe(result.events);
    expect(formatResult(result, 'text')).toBe('Your refund is on its way.');
    const verbose = plain(formatResult(result, 'text', true));
    expect(verbose).toContain('2 actions');
    expect(formatResult(result, 'json')).toMatchObject({
      invocation_id: result.invocationId,
      session_id: 'sess_again',
      response_content: 'Your refund is on its way.',
      input_tokens: 120,
      output_tokens: 21,
      status: 'completed',
    });
  });

  it('formatResult of a text-formatted run gives what invoke gave', async () => {
    const result = await run(twoStepBot, { format: 'text', verbose: true });
    expect(formatResult(result, 'text', true)).toBe(result.formatted);
  });
});
