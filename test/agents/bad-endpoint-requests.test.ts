// Bad requests to the local endpoint an agent program talks to (src/agents/endpoint.ts): each answers its 4xx with the provider's error shape and a message naming the problem.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineBot, invoke } from '../../src/index.js';

interface Request {
  method: string;
  path: string;
  /** "own" (the run's key, the default), "none", or another key to send. */
  key?: string;
  /** Where the key goes: `authorization: Bearer` (the OpenAI SDKs) or `x-api-key` (Anthropic's). */
  header?: 'authorization' | 'x-api-key';
  headers?: Record<string, string>;
  body?: string;
}

interface Case extends Request {
  status: number;
  type: string;
  says: string;
}

const chat = '/openai/v1/chat/completions';
const messages = '/anthropic/v1/messages';
const json = (value: unknown) => JSON.stringify(value);
const hello = [{ role: 'user', content: 'hi' }];

const cases: Record<string, Case> = {
  'no key': { method: 'POST', path: chat, key: 'none', body: json({ model: 'gpt-4o-mini', messages: hello }), status: 401, type: 'authentication_error', says: 'answers only the agent process it was started for' },
  'a wrong bearer key': { method: 'POST', path: chat, key: 'sk-someone-else', body: json({ model: 'gpt-4o-mini', messages: hello }), status: 401, type: 'authentication_error', says: 'send the key its environment holds' },
  'a wrong x-api-key': { method: 'POST', path: messages, key: 'sk-ant-someone', header: 'x-api-key', body: json({ model: 'claude-haiku-4-5', max_tokens: 5, messages: hello }), status: 401, type: 'authentication_error', says: 'send the key its environment holds' },
  'no key on an unknown route': { method: 'GET', path: '/openai/v1/models', key: 'none', status: 401, type: 'authentication_error', says: 'answers only the agent process' },
  'a body that is not JSON': { method: 'POST', path: chat, body: 'hello', status: 400, type: 'invalid_request_error', says: 'the body is not JSON' },
  'a body sent as text/plain': { method: 'POST', path: chat, headers: { 'content-type': 'text/plain' }, body: 'model=gpt', status: 400, type: 'invalid_request_error', says: 'the body is not JSON' },
  'a JSON list': { method: 'POST', path: chat, body: json([{ model: 'gpt-4o-mini' }]), status: 400, type: 'invalid_request_error', says: 'the body is an array' },
  'an empty body': { method: 'POST', path: chat, body: '', status: 400, type: 'invalid_request_error', says: 'the body is empty' },
  'JSON null': { method: 'POST', path: chat, body: 'null', status: 400, type: 'invalid_request_error', says: 'the body is null' },
  'a JSON number': { method: 'POST', path: messages, body: '42', status: 400, type: 'invalid_request_error', says: 'the body is a number' },
  'a chat call without a model': { method: 'POST', path: chat, body: json({ messages: hello }), status: 400, type: 'invalid_request_error', says: '"model" must be a non-empty string' },
  'a chat call with a model that is a number': { method: 'POST', path: chat, body: json({ model: 4, messages: hello }), status: 400, type: 'invalid_request_error', says: '"model" must be a non-empty string' },
  'a chat call without messages': { method: 'POST', path: chat, body: json({ model: 'gpt-4o-mini' }), status: 400, type: 'invalid_request_error', says: 'needs "messages" (a list)' },
  'a chat call whose messages are text': { method: 'POST', path: chat, body: json({ model: 'gpt-4o-mini', messages: 'hi' }), status: 400, type: 'invalid_request_error', says: 'needs "messages" (a list)' },
  'a responses call without input': { method: 'POST', path: '/openai/v1/responses', body: json({ model: 'gpt-4o-mini' }), status: 400, type: 'invalid_request_error', says: 'request needs "input"' },
  'an Anthropic call without a model': { method: 'POST', path: messages, body: json({ max_tokens: 5, messages: hello }), status: 400, type: 'invalid_request_error', says: '"model" must be a non-empty string in a anthropic.messages request' },
  'a well-formed call with no mock for it': { method: 'POST', path: chat, body: json({ model: 'gpt-4o-mini', messages: hello }), status: 400, type: 'invalid_request_error', says: 'call 1 of llm.message has no mock' },
  'an unknown route': { method: 'GET', path: '/openai/v1/models', status: 404, type: 'not_found_error', says: 'not GET /openai/v1/models' },
  'embeddings, which it does not serve': { method: 'POST', path: '/openai/v1/embeddings', body: json({ model: 'text-embedding-3-small', input: 'x' }), status: 404, type: 'not_found_error', says: 'not POST /openai/v1/embeddings' },
  'the Anthropic path under the OpenAI prefix': { method: 'POST', path: '/openai/v1/v1/messages', body: json({ model: 'gpt-4o-mini', messages: hello }), status: 404, type: 'not_found_error', says: 'not POST /openai/v1/v1/messages' },
  'the OpenAI path under the Anthropic prefix': { method: 'POST', path: '/anthropic/chat/completions', body: json({ model: 'gpt-4o-mini', messages: hello }), status: 404, type: 'not_found_error', says: 'not POST /anthropic/chat/completions' },
  'the root': { method: 'GET', path: '/', status: 404, type: 'not_found_error', says: 'not GET /' },
  'GET on chat completions': { method: 'GET', path: chat, status: 405, type: 'invalid_request_error', says: `takes POST ${chat}, not GET` },
  'DELETE on messages': { method: 'DELETE', path: messages, status: 405, type: 'invalid_request_error', says: `takes POST ${messages}, not DELETE` },
};

/**
 * One run of an agent program that sends every request of the table to its endpoint and prints the
 * answers: the endpoint lives only as long as the run, so the whole table goes through one run.
 */
type Answer = { status: number; type: string | null; body: { error?: { message?: string; type?: string }; type?: string } };
let answers: Answer[];
/** The run is recorded in a state file of its own, not the developer's. */
const state = mkdtempSync(join(tmpdir(), 'rehearse-bad-endpoint-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));

beforeAll(async () => {
  const prober = defineBot({ key: 'endpoint-prober', command: [process.execPath, 'endpoint-prober.mjs'], cwd: join(import.meta.dirname, 'fixtures') });
  const requests: Request[] = Object.values(cases).map(({ status: _status, type: _type, says: _says, ...request }) => request);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(), REHEARSE_STATE: join(state, 'state.sqlite') };
  const result = await invoke(prober, { input: JSON.stringify(requests), mode: 'manual', mocks: {}, env });
  expect(result.error).toBeUndefined();
  answers = JSON.parse(result.result.output as string) as Answer[];
});

describe('bad requests to the agents’ local endpoint', () => {
  it.each(Object.entries(cases).map(([name, one], index) => [name, one, index] as const))('%s', (_name, { status, type, says }, index) => {
    const answer = answers[index]!;
    expect(answer.body.error?.message).toContain(says);
    expect(answer.status).toBe(status);
    expect(answer.body.error?.type).toBe(type);
    expect(answer.type).toMatch(/^application\/json/);
  });
});
