/**
 * One redaction at every exit: a secret a user puts in a prompt, a log line or a URL is replaced in the
 * result, the events (and so printEvents and streams), the state file (the session's history and the
 * run's record) and `rehearse serve`'s answers; the provider and the fetched server still get the real
 * text, since they are where the bot meant it to go.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineBot, invoke, type RehearseEvent } from '../../src/index.js';
import { loadSessionHistory } from '../../src/sessions/session-store.js';
import { listRuns } from '../../src/sessions/records.js';
import { call, mockedBody, startTestServer } from '../serve/support.js';
import { rehearse } from '../support/cli.js';
import { listenLocal, readBody } from '../support/server-io.js';
import { tempDir } from '../support/temp.js';

const providerKey = 'sk-proj-Secret0123456789abcdefXYZ';
const dbPassword = 'hunter2hunter2';
const queryToken = 'qTok3n987654';
const prompt = `my key is ${providerKey}, the db is postgres://admin:${dbPassword}@db:5432/app, see https://x.example/a?token=${queryToken}&page=2`;
const secrets = [providerKey, dbPassword, queryToken];

function expectNoSecret(text: string): void {
  for (const secret of secrets) expect(text).not.toContain(secret);
}

/** A bot that says the prompt back through every channel it has: an LLM call, a log line, its output. */
const echoBot = defineBot({
  key: 'echo-secrets',
  version: 'v1',
  run: async (input, ctx) => {
    const answer = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] });
    ctx.log(`asked: ${input.prompt}`, { prompt: input.prompt });
    return { content: `${answer.content} (you said: ${input.prompt})` };
  },
});

const echoMocks = { 'llm.message': { status: 'success' as const, output: { content: 'noted' } } };

describe('secrets at every exit of a run', () => {
  it('a prompt holding a key, a URL password and a URL token: replaced in the result, events, listeners, the session history and the run record', async () => {
    const statePath = join(tempDir(), 'state.sqlite');
    const seen: RehearseEvent[] = [];
    const result = await invoke(echoBot, {
      mode: 'manual',
      input: prompt,
      sessionId: 'leaky-session',
      mocks: echoMocks,
      format: 'text',
      printEvents: (event) => seen.push(event),
      env: { REHEARSE_STATE: statePath },
    });
    expect(result.error).toBeUndefined();

    expectNoSecret(JSON.stringify(result));
    expectNoSecret(JSON.stringify(seen));
    expect(JSON.stringify(result.events)).toContain('[REDACTED]');
    // The redaction keeps what is not secret, so the record still reads.
    expect((result.result.output as { content: string }).content).toBe(
      'noted (you said: my key is [REDACTED], the db is postgres://admin:[REDACTED]@db:5432/app, see https://x.example/a?token=[REDACTED]&page=2)',
    );

    const history = loadSessionHistory(statePath, 'default', 'leaky-session');
    expect(history).toHaveLength(2);
    expectNoSecret(JSON.stringify(history));
    expectNoSecret(JSON.stringify(listRuns(statePath, 'default')));
    // Nowhere in the file, whatever table a future change adds.
    expectNoSecret(readFileSync(statePath).toString('latin1'));
  });

  it("the config's own cache.redact patterns apply to events too", async () => {
    const dir = tempDir();
    const configPath = join(dir, 'rehearse.config.json');
    writeFileSync(configPath, JSON.stringify({ cache: { redact: ['ACME-[0-9]{6}'] } }));
    const result = await invoke(echoBot, { mode: 'manual', input: 'ticket ACME-123456 please', mocks: echoMocks, env: { REHEARSE_CONFIG: configPath, REHEARSE_STATE: join(dir, 'state.sqlite') } });
    expect(JSON.stringify(result)).not.toContain('ACME-123456');
    expect(JSON.stringify(result.events)).toContain('ticket [REDACTED] please');
  });

  it('a URL with a token in its query: the server gets it, the http.fetch events do not hold it', async () => {
    const received: string[] = [];
    const server = await listenLocal(async (req, res) => {
      await readBody(req);
      received.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    try {
      const bot = defineBot({
        key: 'fetches-with-token',
        version: 'v1',
        run: async (_input, ctx) => (await ctx.fetch(`http://127.0.0.1:${server.port}/items?api_key=${queryToken}&page=2`)).json(),
      });
      const result = await invoke(bot, { mode: 'replay', input: 'go', env: { REHEARSE_STATE: join(tempDir(), 'state.sqlite'), REHEARSE_CACHE: join(tempDir(), 'cache.sqlite') } });
      expect(result.error).toBeUndefined();
      expect(received).toEqual([`/items?api_key=${queryToken}&page=2`]);
      expectNoSecret(JSON.stringify(result.events));
      const started = result.events.find((event) => event.type === 'action.started' && event.action_type === 'http.fetch');
      expect(started).toMatchObject({ params: { url: `http://127.0.0.1:${server.port}/items?api_key=[REDACTED]&page=2` } });
    } finally {
      await server.close();
    }
  });

  it("rehearse serve's answers (a whole run, a thread's history, a stream of events), its log and its state file hold no secret", async () => {
    const server = await startTestServer();
    // The model (a mock here) says the secret back, so it is in the bot's output as well as the query.
    const whole = await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody(prompt, `you said: ${prompt}`) });
    expect(whole.status).toBe(200);
    expectNoSecret(JSON.stringify(whole.body));
    expect(JSON.stringify(whole.body)).toContain('[REDACTED]');
    // The thread's history, as the server reads it back from the state file.
    const thread = await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody(prompt, `you said: ${prompt}`, { thread_id: 'leaky-thread' }) });
    expect(thread.status).toBe(200);
    const history = await call(server, 'GET', '/v1/threads/leaky-thread');
    expect(history.status).toBe(200);
    expectNoSecret(JSON.stringify(history.body));
    // The events as they stream (SSE).
    const streamed = await fetch(`${server.url}/v1/agents/echo-bot/invoke/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(mockedBody(prompt, `you said: ${prompt}`)),
    });
    expect(streamed.status).toBe(200);
    const text = await streamed.text();
    expect(text).toContain('[REDACTED]');
    expectNoSecret(text);
    expectNoSecret(server.logged.join('\n'));
    expectNoSecret(readFileSync(server.statePath).toString('latin1'));
  });

  it("the CLI's own error lines: a value it quotes back is redacted", async () => {
    const run = await rehearse(['invoke', 'support-bot', 'hi', '--mode', providerKey]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Given: "[REDACTED]"');
    expectNoSecret(run.stderr);
  });
});
