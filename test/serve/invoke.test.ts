import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';
import { call, demoPrompt, mockedBody, repoRoot, replayBody, startTestServer } from './support.js';

describe('POST /v1/agents/{agent_id}/invoke', () => {
  it('replays the demo bot from the committed cache and answers in the hosted-agent shape', async () => {
    const server = await startTestServer();
    const answer = await call(server, 'POST', '/v1/agents/support-bot/invoke', { body: replayBody() });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const requestId = answer.headers.get('x-request-id');
    expect(requestId).toMatch(/^req_/);
    expect(answer.body).toMatchObject({
      id: requestId,
      status: 'completed',
      result: { content: expect.stringContaining('charged twice for order A-1187'), category: 'billing' },
      usage: { prompt_tokens: 264, completion_tokens: 49, total_tokens: 313 },
      metadata: {
        agent_id: 'support-bot',
        agent_version: 'c140fd3e858f1071',
        request_id: requestId,
        mode: 'replay',
        cost_usd: 0,
        cache: { hits: 2, misses: 0, recorded: 0 },
      },
      error: null,
    });
    expect(answer.body.thread_id).toMatch(/^sess_/);
    expect(answer.body.session_id).toBe(answer.body.thread_id);
    expect(answer.body.metadata.invocation_id).toMatch(/^inv_/);
    expect(answer.body.metadata.execution_time).toBeGreaterThan(0);
    expect(answer.body.metadata.execution_time).toBeLessThan(30);
  });

  it('takes the prompt as input.text too, and parameters for the bot', async () => {
    const server = await startTestServer();
    const answer = await call(server, 'POST', '/v1/agents/support-bot/invoke', {
      body: { input: { text: demoPrompt }, parameters: { tone: 'friendly' }, mode: 'replay', strict: true },
    });
    expect(answer.body).toMatchObject({ status: 'completed', result: { category: 'billing' } });
  });

  it('answers a failed invocation with 200, status failed and its error (here a strict replay miss)', async () => {
    const server = await startTestServer();
    const answer = await call(server, 'POST', '/v1/agents/support-bot/invoke', { body: replayBody('Something never recorded') });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'failed', result: null, error: { code: 'CACHE_STRICT_MISS' } });
    expect(answer.body.error.message).toContain('Strict replay miss');
    expect(answer.body.error.hint).toContain('npx rehearse invoke support-bot');
  });

  it('runs against mocks in manual mode', async () => {
    const server = await startTestServer();
    const answer = await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('hello', 'hi there') });
    expect(answer.body).toMatchObject({ status: 'completed', result: 'hi there', metadata: { mode: 'manual' } });
  });

  it('continues a thread: the thread id of one answer carries the conversation into the next', async () => {
    const server = await startTestServer();
    const first = await call(server, 'POST', '/v1/agents/support-bot/invoke', { body: replayBody() });
    expect(first.body.status).toBe('completed');
    // The second turn's model call carries the first turn, so it only replays if the history reached the bot.
    const second = await call(server, 'POST', '/v1/agents/support-bot/invoke', {
      body: replayBody('When will I get the money back?', { thread_id: first.body.thread_id }),
    });
    expect(second.body).toMatchObject({ status: 'completed', thread_id: first.body.thread_id, result: { content: expect.stringContaining('3 to 5 business days') } });
    // Without the thread, the same question is a different call, never recorded.
    const alone = await call(server, 'POST', '/v1/agents/support-bot/invoke', { body: replayBody('When will I get the money back?') });
    expect(alone.body).toMatchObject({ status: 'failed', error: { code: 'CACHE_STRICT_MISS' } });

    const thread = await call(server, 'GET', `/v1/threads/${first.body.thread_id}`);
    expect(thread.status).toBe(200);
    expect(thread.body).toMatchObject({ thread_id: first.body.thread_id, agent_id: 'support-bot', turns: 2 });
    expect(thread.body.messages.map((message: { turn: number; role: string }) => `${message.turn} ${message.role}`)).toEqual(['1 user', '1 assistant', '2 user', '2 assistant']);
    expect(thread.body.messages[2].content).toBe('When will I get the money back?');
  });

  it('continues a thread named by session_id, and refuses two different ids', async () => {
    const server = await startTestServer();
    await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('first', 'one', { session_id: 'ticket-1' }) });
    const second = await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('second', 'two', { thread_id: 'ticket-1' }) });
    expect(second.body).toMatchObject({ status: 'completed', thread_id: 'ticket-1' });
    const thread = await call(server, 'GET', '/v1/threads/ticket-1');
    expect(thread.body.messages.map((message: { content: string }) => message.content)).toEqual(['first', 'one', 'second', 'two']);
    const both = await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('x', 'y', { thread_id: 'a', session_id: 'b' }) });
    expect(both.status).toBe(400);
    expect(both.body.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('session_id, thread_id') });
  });
});

describe('GET /v1/threads/{thread_id}', () => {
  it('is 404 THREAD_NOT_FOUND for a thread the org does not have, or an id that cannot be one', async () => {
    const server = await startTestServer();
    for (const id of ['nobody-here', 'a..b', 'not a name']) {
      const answer = await call(server, 'GET', `/v1/threads/${encodeURIComponent(id)}`);
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ error: { code: 'THREAD_NOT_FOUND', message: expect.stringContaining(id), status: 404 } });
    }
  });

  it('keeps threads per org', async () => {
    const acme = await startTestServer({ org: 'acme' });
    await call(acme, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('secret', 'ok', { thread_id: 'shared' }) });
    expect((await call(acme, 'GET', '/v1/threads/shared')).status).toBe(200);
    const globex = await startTestServer({ org: 'globex', statePath: acme.statePath });
    expect((await call(globex, 'GET', '/v1/threads/shared')).status).toBe(404);
  });
});

describe('GET /v1/agents and /health', () => {
  it('lists the bots of the config with key, description and version', async () => {
    const server = await startTestServer();
    const answer = await call(server, 'GET', '/v1/agents');
    expect(answer.status).toBe(200);
    expect(answer.body.agents.map((agent: { key: string }) => agent.key)).toEqual(['echo-bot', 'slow-bot', 'support-bot']);
    expect(answer.body.agents[2]).toEqual({
      key: 'support-bot',
      description: 'Classifies a support question, searches the help centre, checks the order, then answers.',
      version: 'c140fd3e858f1071',
    });
  });

  it('finds a bot file added while it runs', async () => {
    const dir = tempDir();
    const writeBot = (key: string) =>
      writeFileSync(
        join(dir, `${key}.mts`),
        `import { defineBot } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'src/index.ts')).href)};\nexport const bot = defineBot({ key: '${key}', version: 'v1', run: () => 'hello from ${key}' });\n`,
      );
    writeBot('first-bot');
    writeFileSync(join(dir, 'rehearse.config.json'), JSON.stringify({ bots: ['*.mts'] }));
    const server = await startTestServer({ configPath: join(dir, 'rehearse.config.json') });
    expect((await call(server, 'GET', '/v1/agents')).body.agents.map((agent: { key: string }) => agent.key)).toEqual(['first-bot']);
    writeBot('second-bot');
    const answer = await call(server, 'POST', '/v1/agents/second-bot/invoke', { body: { query: 'hi', mode: 'manual' } });
    expect(answer.body).toMatchObject({ status: 'completed', result: 'hello from second-bot' });
  });

  it('answers /health', async () => {
    const server = await startTestServer();
    expect(await call(server, 'GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});
