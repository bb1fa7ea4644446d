import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineBot, invoke, loadMocksFile, MocksFileError, RehearseError, type Mocks } from '../../src/index.js';
import { tempDir } from '../support/temp.js';
import { suiteState } from '../support/suite-state.js';

const root = resolve(import.meta.dirname, '../..');
const fixture = join(root, 'fixtures/mocks/support-bot.json');

/** Writes `text` to a fresh file and returns its path. */
function mocksFile(text: string, name = 'mocks.json'): string {
  const file = join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}

/** The error loadMocksFile throws for this file. */
function loadError(file: string): RehearseError {
  try {
    loadMocksFile(file);
  } catch (error) {
    return error as RehearseError;
  }
  throw new Error(`expected ${file} to be rejected`);
}

describe('loadMocksFile', () => {
  it('loads the support-bot fixture as it is written', () => {
    const mocks = loadMocksFile(fixture);
    expect(mocks).toEqual(JSON.parse(readFileSync(fixture, 'utf8')));
    const list = mocks['llm.message'];
    expect(Array.isArray(list)).toBe(true);
    expect(list).toHaveLength(2);
    expect(list).toMatchObject([{ status: 'success', output: { content: 'billing' } }, { status: 'success' }]);
  });

  it('loads every form a file can hold: a rule, a list, errors, `when` matchers, usage', () => {
    const value: Mocks = {
      'llm.message': [
        { status: 'success', output: 'hi', when: { model: 'gpt-4o-mini', system: { $contains: 'agent' } }, usage: { input_tokens: 3, output_tokens: 1 }, cost_usd: 0.001 },
        { status: 'error', error: { message: 'rate limited', code: 'rate_limit_exceeded' } },
      ],
      'codeexec.run': { status: 'error', error: 'sandbox down' },
      'memory.search': { status: 'success', output: { results: [] }, when: { query: { $regex: '^refund' }, tags: ['a', 'b'] } },
    };
    expect(loadMocksFile(mocksFile(JSON.stringify(value, null, 2)))).toEqual(value);
  });

  it('rejects invalid JSON with MOCKS_INVALID, the file path and a line and column', () => {
    const file = mocksFile('{\n  "llm.message": {\n    "status": "success",\n    "output": "x",\n  }\n}\n');
    const error = loadError(file);
    expect(error).toBeInstanceOf(MocksFileError);
    expect(error.code).toBe('MOCKS_INVALID');
    expect(error.message).toContain(file);
    expect(error.message).toContain('not valid JSON');
    // The trailing comma: the parser stops at the "}" on line 5, column 3.
    expect(error.message).toContain('line 5, column 3');
    expect(error.hint).toBeTruthy();
  });

  it('names the JSON path of a rule without a status', () => {
    const file = mocksFile(JSON.stringify({ 'llm.message': [{ status: 'success', output: 'a' }, { output: 'b' }] }));
    const error = loadError(file);
    expect(error.code).toBe('MOCKS_INVALID');
    expect(error.message).toContain(file);
    expect(error.message).toContain('$["llm.message"][1]');
    expect(error.message).toContain('status');
  });

  it('names the path ending in .output of a success mock without an output', () => {
    const single = loadError(mocksFile(JSON.stringify({ 'llm.message': { status: 'success' } })));
    expect(single.code).toBe('MOCKS_INVALID');
    expect(single.message).toMatch(/at \$\["llm\.message"\]\.output\b/);

    const inList = loadError(mocksFile(JSON.stringify({ 'codeexec.run': [{ status: 'success', output: {} }, { status: 'success' }] })));
    expect(inList.message).toMatch(/at \$\["codeexec\.run"\]\[1\]\.output\b/);
  });

  it('names the path of an unknown field, and the field', () => {
    const error = loadError(mocksFile(JSON.stringify({ 'llm.message': [{ status: 'success', output: 'x', delay_ms: 5 }] })));
    expect(error.code).toBe('MOCKS_INVALID');
    expect(error.message).toContain('$["llm.message"][0]');
    expect(error.message).toContain('"delay_ms"');
  });

  it('rejects an empty list', () => {
    const error = loadError(mocksFile(JSON.stringify({ 'llm.message': [] })));
    expect(error.code).toBe('MOCKS_INVALID');
    expect(error.message).toContain('$["llm.message"]');
    expect(error.message).toMatch(/at least one/);
  });

  it('rejects a file that is not an object of action types', () => {
    const error = loadError(mocksFile('[]'));
    expect(error.code).toBe('MOCKS_INVALID');
    expect(error.message).toMatch(/ at \$: /);
  });

  it('says a missing file cannot be read', () => {
    const file = join(tempDir(), 'does-not-exist.json');
    const error = loadError(file);
    expect(error.code).toBe('MOCKS_INVALID');
    expect(error.message).toContain(file);
    expect(error.message).toContain('cannot be read');
    expect(error.hint).toContain('--mocks');
  });
});

describe('invoke with a mocks file', () => {
  const bot = defineBot({
    key: 'file-mocked',
    version: 'v1',
    async run(input, ctx) {
      const kind = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] });
      const reply = await ctx.llm.message({ model: 'gpt-4o-mini', system: `About ${kind.content}`, messages: [{ role: 'user', content: input.prompt }] });
      return { category: kind.content, content: reply.content };
    },
  });

  it('serves the mocks of a file, its path relative to cwd', async () => {
    const result = await invoke(bot, { mode: 'manual', env: suiteState(), cwd: root, input: 'I was charged twice', mocks: 'fixtures/mocks/support-bot.json' });
    expect(result.status).toBe('completed');
    expect(result.result.output).toMatchObject({ category: 'billing', content: expect.stringContaining('double charge') });
    expect(result.usage).toEqual({ inputTokens: 42 + 230, outputTokens: 1 + 31 });
  });

  it('a missing mock names the file in its hint', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'mocks'));
    writeFileSync(join(dir, 'mocks/one.json'), JSON.stringify({ 'llm.message': { status: 'success', output: 'only' } }));
    const result = await invoke(bot, { mode: 'manual', env: suiteState(), cwd: dir, input: 'x', mocks: 'mocks/one.json' });
    // The single rule serves both calls.
    expect(result.status).toBe('completed');
    const strict = await invoke(defineBot({ key: 'other-action', version: 'v1', run: (_i, ctx) => ctx.memory.search({ query: 'q' }) }), {
      mode: 'manual',
      env: suiteState(),
      cwd: dir,
      mocks: 'mocks/one.json',
    });
    expect(strict.error?.code).toBe('MOCK_MISSING');
    expect(strict.error?.hint).toContain('mocks/one.json');
  });

  it('rejects with the same MOCKS_INVALID error when the file is bad', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ 'llm.message': { status: 'success', output: 'x', extra: true } }));
    const expected = loadError(file);
    await expect(invoke(bot, { mode: 'manual', env: suiteState(), cwd: dir, mocks: 'bad.json' })).rejects.toMatchObject({
      code: 'MOCKS_INVALID',
      message: expected.message,
    });
    await expect(invoke(bot, { mode: 'manual', env: suiteState(), cwd: dir, mocks: 'missing.json' })).rejects.toMatchObject({
      code: 'MOCKS_INVALID',
      message: expect.stringContaining('cannot be read'),
    });
  });
});
