// Bad requests to rehearse serve's HTTP API: each answers its 4xx status with an error code and a message naming the problem, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoPrompt, testConfig } from '../serve/support.js';

interface Case {
  method?: string;
  path?: string;
  /** Sent as it is when a string, else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Which server: the open one (default), the one with a token, or the one with a 1 KiB body limit. */
  server?: 'open' | 'token' | 'small';
  status: number;
  code: string;
  says: string;
}

const invokePath = '/v1/agents/support-bot/invoke';
const withQuery = (more: Record<string, unknown>) => ({ query: demoPrompt, mode: 'replay', strict: true, ...more });
const withMocks = (mocks: unknown) => ({ query: 'hi', mode: 'manual', mocks });
const nested = (depth: number): unknown => (depth === 0 ? 'x' : { a: nested(depth - 1) });

const cases: Record<string, Case> = {
  'a body that is not JSON': { body: 'query=Hi', status: 400, code: 'INVALID_REQUEST', says: 'The body is not valid JSON' },
  'a form body': { body: 'query=Hi', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 400, code: 'INVALID_REQUEST', says: 'It was sent as Content-Type: application/x-www-form-urlencoded' },
  'a multipart body': {
    body: '--b\r\nContent-Disposition: form-data; name="query"\r\n\r\nHi\r\n--b--\r\n',
    headers: { 'content-type': 'multipart/form-data; boundary=b' },
    status: 400,
    code: 'INVALID_REQUEST',
    says: 'send a JSON object with Content-Type: application/json',
  },
  'an empty body': { body: '', status: 400, code: 'INVALID_REQUEST', says: 'The body is empty' },
  'a JSON list': { body: [{ query: 'hi' }], status: 400, code: 'INVALID_REQUEST', says: 'The body must be a JSON object' },
  'a JSON string': { body: '"hi"', status: 400, code: 'INVALID_REQUEST', says: 'The body must be a JSON object' },
  'JSON null': { body: 'null', status: 400, code: 'INVALID_REQUEST', says: 'The body must be a JSON object' },
  'a body nested 200 levels deep': { body: withQuery({ parameters: nested(200) }), status: 400, code: 'INVALID_REQUEST', says: 'nested more than 100 levels deep' },
  'a body over the limit': { server: 'small', body: withQuery({ additional_context: 'x'.repeat(2048) }), status: 413, code: 'PAYLOAD_TOO_LARGE', says: 'larger than the limit of 1024 bytes' },
  'no query': { body: { mode: 'replay' }, status: 400, code: 'MISSING_REQUIRED_FIELD', says: 'query is required' },
  'a blank query': { body: { query: '   ' }, status: 400, code: 'MISSING_REQUIRED_FIELD', says: 'query is required' },
  'a query that is a number': { body: { query: 42 }, status: 400, code: 'INVALID_REQUEST', says: 'query: ' },
  'query and input.text both': { body: { query: 'a', input: { text: 'b' } }, status: 400, code: 'INVALID_REQUEST', says: 'give the prompt in one of them, not both' },
  'an unknown field': { body: withQuery({ temperature: 0 }), status: 400, code: 'INVALID_REQUEST', says: 'Unknown field temperature' },
  'a format field (the CLI has one, the API does not)': { body: withQuery({ format: 'text' }), status: 400, code: 'INVALID_REQUEST', says: 'Unknown field format' },
  'an unknown mode': { body: withQuery({ mode: 'offline' }), status: 400, code: 'INVALID_REQUEST', says: 'mode: Invalid option' },
  'strict as a string': { body: withQuery({ strict: 'yes' }), status: 400, code: 'INVALID_REQUEST', says: 'strict: ' },
  'a negative timeout_ms': { body: withQuery({ timeout_ms: -5 }), status: 400, code: 'INVALID_REQUEST', says: 'timeout_ms: ' },
  'a timeout_ms that is text': { body: withQuery({ timeout_ms: '5000' }), status: 400, code: 'INVALID_REQUEST', says: 'timeout_ms: ' },
  'a timeout_ms with a fraction': { body: withQuery({ timeout_ms: 1.5 }), status: 400, code: 'INVALID_REQUEST', says: 'timeout_ms: ' },
  'a timeout_ms above the maximum': { body: withQuery({ timeout_ms: 999_999_999 }), status: 400, code: 'INVALID_REQUEST', says: 'timeoutMs is 999999999' },
  'a session id that climbs out': { body: withQuery({ session_id: '../../etc' }), status: 400, code: 'INVALID_REQUEST', says: 'Session id "../../etc" is not valid' },
  'a session_id and another thread_id': { body: withQuery({ session_id: 'a', thread_id: 'b' }), status: 400, code: 'INVALID_REQUEST', says: 'session_id, thread_id' },
  'a dataset that climbs out': { body: withQuery({ datasets: ['../secrets'] }), status: 400, code: 'INVALID_REQUEST', says: 'Dataset "../secrets" is not a valid slug' },
  'parameters as a list': { body: withQuery({ parameters: [1, 2] }), status: 400, code: 'INVALID_REQUEST', says: 'parameters' },
  'a message role no provider knows': { body: withQuery({ input: { messages: [{ role: 'wizard', content: 'x' }] } }), status: 400, code: 'INVALID_REQUEST', says: 'input.messages[0].role' },
  'an unknown llm_provider': { body: withQuery({ llm_provider: 'gemini' }), status: 400, code: 'INVALID_REQUEST', says: 'llm_provider: ' },
  'an unknown reasoning_effort': { body: withQuery({ reasoning_effort: 'extreme' }), status: 400, code: 'INVALID_REQUEST', says: 'reasoning_effort: ' },
  'an unknown output_format': { body: withQuery({ output_format: 'yaml' }), status: 400, code: 'INVALID_REQUEST', says: 'output_format: ' },
  'an output_schema that is a list': { body: withQuery({ output_schema: [] }), status: 400, code: 'INVALID_REQUEST', says: 'output_schema: ' },
  'a file by path on the server': { body: withQuery({ files: [{ path: '/etc/passwd' }] }), status: 400, code: 'INVALID_REQUEST', says: 'files[0].path: this server does not read its own files' },
  'a file whose content is a number': { body: withQuery({ files: [{ name: 'a.txt', content: 5 }] }), status: 400, code: 'INVALID_REQUEST', says: 'files[0]' },
  'mocks as a path on the server': { body: withQuery({ mode: 'manual', mocks: '/etc/passwd' }), status: 400, code: 'INVALID_REQUEST', says: 'mocks: this server does not read its own files' },
  'mocks with a wrong status': { body: withMocks({ 'llm.message': { status: 'ok', output: 'x' } }), status: 400, code: 'INVALID_REQUEST', says: 'field mocks at $["llm.message"].status' },
  'mocks with an unclosed $regex': { body: withMocks({ 'llm.message': { status: 'success', output: 'x', when: { $regex: '(a' } } }), status: 400, code: 'INVALID_REQUEST', says: 'at $["llm.message"].when.$regex: the pattern "(a" cannot be used' },
  'mocks with a $regex that is a number': { body: withMocks({ 'llm.message': { status: 'success', output: 'x', when: { $regex: 7 } } }), status: 400, code: 'INVALID_REQUEST', says: '$regex takes a string' },
  'mocks as a list': { body: withMocks([{ status: 'success', output: 'x' }]), status: 400, code: 'INVALID_REQUEST', says: 'mocks: ' },
  'an unknown agent': { path: '/v1/agents/suport-bot/invoke', body: withQuery({}), status: 404, code: 'AGENT_NOT_FOUND', says: 'No agent "suport-bot"' },
  'an agent id that is a path': { path: '/v1/agents/..%2F..%2Fetc/invoke', body: withQuery({}), status: 404, code: 'AGENT_NOT_FOUND', says: 'No agent "../../etc"' },
  'an agent id that is bad percent-encoding': { path: '/v1/agents/%E0%A4%A/invoke', body: withQuery({}), status: 404, code: 'NOT_FOUND', says: 'No endpoint POST' },
  'the stream route with a bad mode': { path: '/v1/agents/support-bot/invoke/stream', body: withQuery({ mode: 'offline' }), status: 400, code: 'INVALID_REQUEST', says: 'mode: ' },
  'the async route with no query': { path: '/v1/agents/support-bot/invoke/async', body: {}, status: 400, code: 'MISSING_REQUIRED_FIELD', says: 'query is required' },
  'an unknown route': { method: 'GET', path: '/v1/nothing', status: 404, code: 'NOT_FOUND', says: 'No endpoint GET /v1/nothing' },
  'a route of the OpenAI API': { method: 'POST', path: '/v1/chat/completions', body: {}, status: 404, code: 'NOT_FOUND', says: 'No endpoint POST /v1/chat/completions' },
  'DELETE on the agents list': { method: 'DELETE', path: '/v1/agents', status: 405, code: 'METHOD_NOT_ALLOWED', says: '/v1/agents takes GET, not DELETE' },
  'GET on invoke': { method: 'GET', path: invokePath, status: 405, code: 'METHOD_NOT_ALLOWED', says: 'takes POST, not GET' },
  'an unknown task': { method: 'GET', path: '/v1/tasks/task_nope', status: 404, code: 'TASK_NOT_FOUND', says: 'No task "task_nope"' },
  'stopping an unknown task': { method: 'POST', path: '/v1/tasks/task_nope/stop', status: 404, code: 'TASK_NOT_FOUND', says: 'No task "task_nope"' },
  'an unknown thread': { method: 'GET', path: '/v1/threads/no-such-thread', status: 404, code: 'THREAD_NOT_FOUND', says: 'No thread "no-such-thread"' },
  'a thread id that is a path': { method: 'GET', path: '/v1/threads/..%2F..%2Fstate', status: 404, code: 'THREAD_NOT_FOUND', says: 'No thread "../../state"' },
  'no token': { server: 'token', method: 'GET', path: '/v1/agents', status: 401, code: 'UNAUTHORIZED', says: 'This server needs a token' },
  'a wrong token': { server: 'token', method: 'GET', path: '/v1/agents', headers: { authorization: 'Bearer wrong' }, status: 401, code: 'UNAUTHORIZED', says: 'The bearer token is not valid' },
  'the token as Basic auth': { server: 'token', method: 'GET', path: '/v1/agents', headers: { authorization: 'Basic czNjcmV0' }, status: 401, code: 'UNAUTHORIZED', says: 'The bearer token is not valid' },
  'no token on an unknown route': { server: 'token', method: 'GET', path: '/v1/secret-route', status: 401, code: 'UNAUTHORIZED', says: 'This server needs a token' },
  'no token on invoke': { server: 'token', body: withQuery({}), status: 401, code: 'UNAUTHORIZED', says: 'This server needs a token' },
};

const servers = {} as Record<'open' | 'token' | 'small', RunningServer & { logged: string[] }>;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'rehearse-bad-http-'));
  const start = async (name: keyof typeof servers, more: Parameters<typeof startServer>[0] = {}) => {
    const logged: string[] = [];
    const server = await startServer({ port: 0, configPath: testConfig, statePath: join(stateDir, `${name}.sqlite`), log: (line) => logged.push(line), env: { PATH: process.env.PATH, HOME: process.env.HOME }, ...more });
    servers[name] = Object.assign(server, { logged });
  };
  await Promise.all([start('open'), start('token', { token: 's3cret' }), start('small', { maxBodyBytes: 1024 })]);
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((server) => server.close()));
  rmSync(stateDir, { recursive: true, force: true });
});

describe.concurrent('bad requests to rehearse serve', () => {
  it.each(Object.entries(cases))('%s', async (_name, { method = 'POST', path = invokePath, body, headers, server = 'open', status, code, says }) => {
    const response = await fetch(`${servers[server].url}${path}`, {
      method,
      headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const answer = (await response.json()) as { error?: { code?: string; message?: string; status?: number } };
    expect(answer.error?.message).toContain(says);
    expect(response.status).toBe(status);
    expect(answer.error).toMatchObject({ code, status });
  });
});

describe('after the table', () => {
  it('none of them was a fault of the server: nothing was logged as an internal error', () => {
    expect(Object.values(servers).flatMap((server) => server.logged).filter((line) => line.includes('internal error'))).toEqual([]);
  });
});
