/**
 * Patterns users and HTTP clients give run in linear time (RE2): `(a+)+$` against 30 characters used
 * to block the process for ~46 s (a whole `rehearse serve` with it); now it answers at once. A pattern
 * RE2 cannot run is refused where it is given, naming the file and the JSON path.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMocksFile } from '../../src/mocks/load.js';
import { defineBot, invoke, type RehearseError } from '../../src/index.js';
import { rehearse, repoRoot } from '../support/cli.js';
import { startOpenAIServer } from '../support/openai-server.js';
import { tempCachePath, tempDir } from '../support/temp.js';
import { call, startTestServer } from '../serve/support.js';

const evil = '(a+)+$';
const victim = `${'a'.repeat(30)}!`;

const asking = defineBot({
  key: 'asking',
  version: 'v1',
  run: async (input, ctx) => (await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] })).content,
});

function loadError(text: string): RehearseError {
  const file = join(tempDir(), 'mocks.json');
  writeFileSync(file, text);
  try {
    loadMocksFile(file);
  } catch (error) {
    return error as RehearseError;
  }
  throw new Error('expected the mocks file to be refused');
}

describe('patterns users give', () => {
  it('a catastrophic $regex in mocks given to invoke() answers at once', async () => {
    const started = performance.now();
    const result = await invoke(asking, {
      input: victim,
      mode: 'manual',
      mocks: { 'llm.message': [{ status: 'success', output: 'matched', when: { messages: [{ role: 'user', content: { $regex: evil } }] } }] },
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(result.error?.code).toBe('MOCK_MISSING'); // the pattern does not match "aaa…a!", and says so quickly
  });

  it('the same in a mocks file through the CLI answers at once', async () => {
    const file = join(tempDir(), 'mocks.json');
    writeFileSync(file, JSON.stringify({ 'llm.message': { status: 'success', output: 'x', when: { messages: [{ role: 'user', content: { $regex: evil } }] } } }));
    const started = performance.now();
    const run = await rehearse(['invoke', 'support-bot', victim, '--mode', 'manual', '--mocks', file, '--timeout', '3000'], { cwd: repoRoot });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('Manual mode: call 1 of llm.message'); // no mock matched, said at once
  }, 30_000);

  it('over HTTP, rehearse serve goes on answering /health while such a request runs, and the request answers at once', async () => {
    const server = await startTestServer();
    const started = performance.now();
    const invoking = call(server, 'POST', '/v1/agents/echo-bot/invoke', {
      body: { query: victim, mode: 'manual', mocks: { 'llm.message': { status: 'success', output: 'x', when: { messages: [{ role: 'user', content: { $regex: evil } }] } } } },
    });
    const health = await call(server, 'GET', '/health');
    expect(health.status).toBe(200);
    const answer = await invoking;
    // The backtracking engine took 46 s on this input; the bound is loose, so a busy machine does not fail it.
    expect(performance.now() - started).toBeLessThan(12_000);
    expect(answer.body).toMatchObject({ status: 'failed', error: { code: 'MOCK_MISSING' } });
  }, 20_000);

  it('a catastrophic cache.redact pattern does not stall a recording', async () => {
    const provider = await startOpenAIServer();
    try {
      const cachePath = tempCachePath();
      const dir = join(cachePath, '..');
      writeFileSync(join(dir, 'rehearse.config.json'), JSON.stringify({ cache: { path: 'cache.sqlite', redact: [evil] } }));
      const started = performance.now();
      const result = await invoke(asking, { input: victim, mode: 'replay', cwd: dir, env: { OPENAI_BASE_URL: provider.url } });
      // The backtracking engine took 46 s on this input; the bound is loose, so a busy machine does not fail it.
    expect(performance.now() - started).toBeLessThan(12_000);
      expect(result.error).toBeUndefined();
      expect(result.cache.recorded).toBe(1);
    } finally {
      await provider.close();
    }
  });

  it.each([
    ['an unclosed group', '(unclosed', 'missing closing )'],
    ['a backreference', '(a)\\1', 'invalid escape sequence'],
    ['a lookahead', 'foo(?=bar)', 'unsupported Perl syntax'],
  ])('%s in a mocks file is refused when the file is read, naming the file, the JSON path and why', (_name, pattern, why) => {
    const error = loadError(JSON.stringify({ 'memory.search': { status: 'success', output: [], when: { query: { $regex: pattern } } } }));
    expect(error.code).toBe('MOCKS_INVALID');
    expect(error.message).toContain('mocks.json');
    expect(error.message).toContain('$["memory.search"].when.query.$regex');
    expect(error.message).toContain(why);
    expect(error.message).toContain('RE2');
  });

  it('a cache.redact pattern RE2 cannot run is refused when the config is read', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'rehearse.config.json'), JSON.stringify({ cache: { redact: ['(?<=key=)\\w+'] } }));
    const result = await invoke(asking, { input: 'x', mode: 'manual', cwd: dir }).catch((error: RehearseError) => error);
    expect(result).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((result as RehearseError).message).toContain('cache.redact');
    expect((result as RehearseError).message).toContain('RE2');
  });
});
