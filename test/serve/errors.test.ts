import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';
import { call, mockedBody, replayBody, startTestServer, type TestServer } from './support.js';

const invokePath = '/v1/agents/echo-bot/invoke';

async function expectError(answer: Promise<{ status: number; body: Record<string, any> }>, status: number, code: string, message?: string | RegExp) {
  const { status: got, body } = await answer;
  expect(got).toBe(status);
  expect(body).toEqual({ error: { code, message: expect.any(String), status, ...(body.error?.retry_after !== undefined && { retry_after: body.error.retry_after }) } });
  if (message !== undefined) expect(body.error.message).toMatch(message);
}

describe('400: the body', () => {
  it('MISSING_REQUIRED_FIELD names the prompt field that is missing or blank', async () => {
    const server = await startTestServer();
    await expectError(call(server, 'POST', invokePath, { body: {} }), 400, 'MISSING_REQUIRED_FIELD', /^query is required/);
    await expectError(call(server, 'POST', invokePath, { body: { query: '   ' } }), 400, 'MISSING_REQUIRED_FIELD', /^query/);
    await expectError(call(server, 'POST', invokePath, { body: { input: { parameters: {} } } }), 400, 'MISSING_REQUIRED_FIELD', /^input\.text is required/);
  });

  it('INVALID_REQUEST names the field at fault: a wrong type, an unknown mode, an unknown field', async () => {
    const server = await startTestServer();
    await expectError(call(server, 'POST', invokePath, { body: { query: 42 } }), 400, 'INVALID_REQUEST', /^query: .*expected string/);
    await expectError(call(server, 'POST', invokePath, { body: { query: 'hi', mode: 'imaginary' } }), 400, 'INVALID_REQUEST', /^mode: .*"live"\|"replay"\|"manual"/);
    await expectError(call(server, 'POST', invokePath, { body: { query: 'hi', files: [{ name: 'a.txt' }] } }), 400, 'INVALID_REQUEST', /^files\[0\]/);
    await expectError(call(server, 'POST', invokePath, { body: { query: 'hi', input: { text: 'hi' } } }), 400, 'INVALID_REQUEST', /not both/);
    await expectError(call(server, 'POST', invokePath, { body: { query: 'hi', temprature: 0 } }), 400, 'INVALID_REQUEST', /^Unknown field temprature\. Known fields: query, input,/);
    await expectError(call(server, 'POST', invokePath, { body: { input: { text: 'hi', colour: 1 } } }), 400, 'INVALID_REQUEST', /^Unknown field input\.colour\.$/);
    await expectError(call(server, 'POST', invokePath, { body: { query: 'hi', reasoning_effort: 'extreme' } }), 400, 'INVALID_REQUEST', /^reasoning_effort/);
  });

  it('INVALID_REQUEST for a body that is not a JSON object', async () => {
    const server = await startTestServer();
    await expectError(call(server, 'POST', invokePath, { body: 'query=hello' }), 400, 'INVALID_REQUEST', /not valid JSON/);
    await expectError(call(server, 'POST', invokePath, { body: '[1, 2]' }), 400, 'INVALID_REQUEST', /must be a JSON object/);
    await expectError(call(server, 'POST', invokePath, { body: '' }), 400, 'INVALID_REQUEST', /empty/);
  });

  it('INVALID_REQUEST with the engine’s reason for what only the engine checks: a session id, a timeout, mocks', async () => {
    const server = await startTestServer();
    await expectError(call(server, 'POST', invokePath, { body: mockedBody('hi', 'ok', { thread_id: 'a/../b' }) }), 400, 'INVALID_REQUEST', /Session id "a\/\.\.\/b" is not valid/);
    await expectError(call(server, 'POST', invokePath, { body: mockedBody('hi', 'ok', { timeout_ms: 700_000 }) }), 400, 'INVALID_REQUEST', /at most 600000/);
    await expectError(
      call(server, 'POST', invokePath, { body: { query: 'hi', mode: 'manual', mocks: { 'llm.message': { status: 'maybe' } } } }),
      400,
      'INVALID_REQUEST',
      /mocks at \$\["llm\.message"\]\.status/,
    );
  });

  it('refuses files and mocks by path unless the server allows file paths; inline content always works', async () => {
    const server = await startTestServer();
    await expectError(call(server, 'POST', invokePath, { body: mockedBody('hi', 'ok', { files: [{ path: '/etc/passwd' }] }) }), 400, 'INVALID_REQUEST', /^files\[0\]\.path: .*--allow-file-paths/);
    await expectError(call(server, 'POST', invokePath, { body: { query: 'hi', mode: 'manual', mocks: 'fixtures/mocks/support-bot.json' } }), 400, 'INVALID_REQUEST', /^mocks: /);
    const inline = await call(server, 'POST', invokePath, { body: mockedBody('hi', 'ok', { files: [{ name: 'notes.txt', content: 'hello', media_type: 'text/plain' }] }) });
    expect(inline.body).toMatchObject({ status: 'completed' });

    const dir = tempDir();
    writeFileSync(join(dir, 'mocks.json'), JSON.stringify({ 'llm.message': { status: 'success', output: 'from the file' } }));
    const open = await startTestServer({ allowFilePaths: true });
    const fromFile = await call(open, 'POST', invokePath, { body: { query: 'hi', mode: 'manual', mocks: join(dir, 'mocks.json') } });
    expect(fromFile.body).toMatchObject({ status: 'completed', result: 'from the file' });
  });
});

describe('404 and 405', () => {
  it('AGENT_NOT_FOUND lists the known agents, on every invoke endpoint', async () => {
    const server = await startTestServer();
    for (const suffix of ['', '/stream', '/async']) {
      await expectError(call(server, 'POST', `/v1/agents/no-such-bot/invoke${suffix}`, { body: replayBody() }), 404, 'AGENT_NOT_FOUND', 'No agent "no-such-bot". Known agents: echo-bot, slow-bot, support-bot.');
    }
  });

  it('NOT_FOUND for an unknown path, 405 METHOD_NOT_ALLOWED with Allow for a wrong method', async () => {
    const server = await startTestServer();
    await expectError(call(server, 'GET', '/v1/nothing'), 404, 'NOT_FOUND', /No endpoint GET \/v1\/nothing/);
    await expectError(call(server, 'GET', '/v1/tasks/some/thing'), 404, 'NOT_FOUND');
    const wrong = await call(server, 'GET', '/v1/agents/support-bot/invoke');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(wrong.body.error).toMatchObject({ code: 'METHOD_NOT_ALLOWED', status: 405 });
    await expectError(call(server, 'DELETE', '/v1/agents'), 405, 'METHOD_NOT_ALLOWED');
  });
});

/** Sends `total` bytes in chunks without a Content-Length and resolves with the answer, which may come before the upload ends. */
function chunkedUpload(server: TestServer, total: number): Promise<{ status: number; body: Record<string, any>; sentWhenAnswered: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const req = request(`${server.url}${invokePath}`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      const sentWhenAnswered = sent;
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, any>, sentWhenAnswered }));
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(16 * 1024, 'a');
    const writeMore = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', writeMore);
      }
      req.end();
    };
    req.write('{"query": "');
    writeMore();
  });
}

describe('400 for a request target that is no path', () => {
  it('answers INVALID_REQUEST, not an internal error', async () => {
    const server = await startTestServer();
    const socket = connect(server.port, '127.0.0.1');
    socket.write('GET http://[::1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    await new Promise((resolve) => socket.on('close', resolve));
    expect(text.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(JSON.parse(text.slice(text.indexOf('{')))).toEqual({ error: { code: 'INVALID_REQUEST', message: 'The request target is not a valid path.', status: 400 } });
    expect(server.logged).toEqual([]);
  });
});

describe('413 PAYLOAD_TOO_LARGE', () => {
  it('refuses a body whose Content-Length is over the limit', async () => {
    const server = await startTestServer({ maxBodyBytes: 1000 });
    await expectError(call(server, 'POST', invokePath, { body: { query: 'x'.repeat(2000) } }), 413, 'PAYLOAD_TOO_LARGE', 'The body is larger than the limit of 1000 bytes.');
    expect((await call(server, 'POST', invokePath, { body: mockedBody('small enough', 'ok') })).status).toBe(200);
  });

  it('stops reading a chunked body as soon as it passes the limit', async () => {
    const server = await startTestServer({ maxBodyBytes: 64 * 1024 });
    const answer = await chunkedUpload(server, 64 * 1024 * 1024);
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    // The answer came long before the 64 MiB could have been read.
    expect(answer.sentWhenAnswered).toBeLessThan(16 * 1024 * 1024);
  });

  it('takes 1 MiB by default', async () => {
    const server = await startTestServer();
    await expectError(call(server, 'POST', invokePath, { body: { query: 'x'.repeat(1024 * 1024) } }), 413, 'PAYLOAD_TOO_LARGE', /1048576 bytes/);
  });
});

describe('401 UNAUTHORIZED', () => {
  it('needs the bearer token on every endpoint but /health, when the server has one', async () => {
    const server = await startTestServer({ token: 's3cret-token' });
    await expectError(call(server, 'POST', invokePath, { body: mockedBody('hi', 'ok') }), 401, 'UNAUTHORIZED', /Authorization: Bearer/);
    await expectError(call(server, 'GET', '/v1/agents', { token: 'wrong' }), 401, 'UNAUTHORIZED', 'The bearer token is not valid.');
    await expectError(call(server, 'GET', '/v1/agents', { headers: { authorization: 'Basic czNjcmV0LXRva2Vu' } }), 401, 'UNAUTHORIZED');
    // Without the token, not even which paths exist is told.
    await expectError(call(server, 'GET', '/v1/nothing'), 401, 'UNAUTHORIZED');
    const missing = await call(server, 'GET', '/v1/agents');
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(await call(server, 'GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await call(server, 'GET', '/v1/agents', { token: 's3cret-token' })).status).toBe(200);
    expect((await call(server, 'POST', invokePath, { token: 's3cret-token', body: mockedBody('hi', 'ok') })).body.status).toBe('completed');
  });

  it('takes the token from REHEARSE_SERVER_TOKEN', async () => {
    const server = await startTestServer({ env: { PATH: process.env.PATH, REHEARSE_SERVER_TOKEN: 'from-env' } });
    expect((await call(server, 'GET', '/v1/agents')).status).toBe(401);
    expect((await call(server, 'GET', '/v1/agents', { token: 'from-env' })).status).toBe(200);
  });
});

describe('500 INTERNAL_ERROR', () => {
  it('logs the fault with its stack and tells the client only the request id', async () => {
    const dir = tempDir();
    const broken = join(dir, 'state.sqlite');
    writeFileSync(broken, 'this is not a SQLite file, and no state file at all'.repeat(100));
    const server = await startTestServer({ statePath: broken });
    const answer = await call(server, 'GET', '/v1/threads/ticket-1');
    const requestId = answer.headers.get('x-request-id')!;
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ error: { code: 'INTERNAL_ERROR', message: `The server failed to handle the request; its log has the details (request ${requestId}).`, status: 500 } });
    expect(server.logged.join('\n')).toContain(`internal error in request ${requestId}`);
    expect(server.logged.join('\n')).toMatch(/STATE_FILE_INVALID|state file|\n\s+at /);
    expect(server.logged.join('\n')).toMatch(/\n\s+at /);
  });
});

describe('binding', () => {
  it('warns when it listens beyond loopback without a token', async () => {
    const open = await startTestServer({ host: '0.0.0.0' });
    expect(open.logged.join('\n')).toMatch(/warning: listening on 0\.0\.0\.0 without a token/);
    const guarded = await startTestServer({ host: '0.0.0.0', token: 't' });
    expect(guarded.logged).toEqual([]);
    const local = await startTestServer();
    expect(local.logged).toEqual([]);
    expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
