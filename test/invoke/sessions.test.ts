import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineBot, invoke } from '../../src/index.js';
import { listRuns, usageTotals } from '../../src/sessions/index.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempDir } from '../support/temp.js';

// A provider that notes what it was told last, with fixed token counts so usage can be checked.
let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer({
    handler: (request) => ({
      kind: 'message',
      content: `noted: ${String(request.body.messages.at(-1).content)}`,
      usage: { prompt_tokens: 100, completion_tokens: 20 },
    }),
  });
});
afterAll(() => server.close());
const live = () => ({ mode: 'live' as const, env: { PATH: process.env.PATH, OPENAI_BASE_URL: server.url } });

/** Each turn appends the prompt to notes.txt in its sandbox and reports what the file and the history hold. */
const notetaker = defineBot({
  key: 'notetaker',
  version: 'v1',
  async run(input, ctx) {
    const code = `const fs = require('fs'); fs.appendFileSync('notes.txt', ${JSON.stringify(input.prompt)} + '\\n'); process.stdout.write(fs.readFileSync('notes.txt', 'utf8'));`;
    const run = await ctx.codeexec.run({ language: 'node', code });
    const reply = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [...input.messages, { role: 'user', content: input.prompt }] });
    return { content: reply.content ?? '', notes: run.stdout.trim().split('\n'), history: input.messages.map((message) => `${message.role}: ${message.content}`) };
  },
});

describe('sessions', () => {
  it('hands the history to the bot on every turn, and keeps the sandbox of a named session', async () => {
    const cwd = tempDir();
    const options = { ...live(), cwd, sessionId: 'ticket-42' };
    const first = await invoke(notetaker, { ...options, input: 'order A-1 is late' });
    const second = await invoke(notetaker, { ...options, input: 'it was a gift' });
    const third = await invoke(notetaker, { ...options, input: 'please hurry' });
    for (const result of [first, second, third]) {
      expect(result.error).toBeUndefined();
      expect(result.sessionId).toBe('ticket-42');
    }
    expect(third.result.output).toEqual({
      content: 'noted: please hurry',
      notes: ['order A-1 is late', 'it was a gift', 'please hurry'],
      history: ['user: order A-1 is late', 'assistant: noted: order A-1 is late', 'user: it was a gift', 'assistant: noted: it was a gift'],
    });
    const sandbox = join(cwd, '.rehearse/sandboxes/default/ticket-42');
    expect(readFileSync(join(sandbox, 'notes.txt'), 'utf8')).toBe('order A-1 is late\nit was a gift\nplease hurry\n');
  });

  it('gives a new session id when none is given, continuable by that id, and removes its sandbox', async () => {
    const cwd = tempDir();
    const options = { ...live(), cwd };
    const first = await invoke(notetaker, { ...options, input: 'hello' });
    expect(first.sessionId).toMatch(/^sess_/);
    const second = await invoke(notetaker, { ...options, input: 'again', sessionId: first.sessionId });
    expect((second.result.output as { history: string[] }).history).toEqual(['user: hello', 'assistant: noted: hello']);
    // The first turn had no name yet, so its sandbox was temporary; the named one is kept from now on.
    expect((second.result.output as { notes: string[] }).notes).toEqual(['again']);
    expect(existsSync(join(cwd, '.rehearse/sandboxes/default', first.sessionId))).toBe(true);
  });

  it('keeps sessions per org', async () => {
    const cwd = tempDir();
    const options = { ...live(), cwd, sessionId: 'shared-name' };
    await invoke(notetaker, { ...options, org: 'acme', input: 'acme secret' });
    const other = await invoke(notetaker, { ...options, org: 'globex', input: 'hi' });
    expect((other.result.output as { history: string[] }).history).toEqual([]);
  });

  it('refuses a session id that is not a safe name', async () => {
    await expect(invoke(notetaker, { ...live(), cwd: tempDir(), sessionId: '../escape' })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('invocation records', () => {
  it('records every run with its tokens, cost, saving, status and steps, and usage adds them up', async () => {
    const cwd = tempDir();
    const options = { ...live(), cwd };
    const done = await invoke(notetaker, { ...options, input: 'one' });
    await invoke(notetaker, { ...options, input: 'two' });
    const failing = defineBot({ key: 'failing', version: 'v1', run: () => Promise.reject(new Error('boom')) });
    const failed = await invoke(failing, { ...options, input: 'three' });

    const statePath = join(cwd, '.rehearse/state.sqlite');
    const runs = listRuns(statePath, 'default', {});
    expect(runs).toHaveLength(3);
    const first = runs.find((run) => run.id === done.invocationId);
    expect(first).toMatchObject({ botId: 'notetaker', botVersion: 'v1', mode: 'live', status: 'completed', inputTokens: 100, outputTokens: 20, sessionId: done.sessionId });
    const perRun = (100 * 0.15 + 20 * 0.6) / 1e6; // gpt-4o-mini's price per million tokens
    expect(first?.costUsd).toBeCloseTo(perRun, 12);
    expect(first?.steps.map((step) => [step.action_type, step.source])).toEqual([
      ['codeexec.run', 'live'],
      ['llm.message', 'live'],
    ]);
    expect(runs.find((run) => run.id === failed.invocationId)).toMatchObject({ status: 'failed', error: expect.stringContaining('boom') });

    const byBot = usageTotals(statePath, { org: 'default' }, 'bot');
    const notes = byBot.rows.find((row) => row.key === 'notetaker');
    expect(notes).toMatchObject({ invocations: 2, inputTokens: 200, outputTokens: 40 });
    expect(notes?.costUsd).toBeCloseTo(2 * perRun, 12);
    expect(byBot.total).toMatchObject({ invocations: 3, inputTokens: 200, outputTokens: 40 });
  });
});
