import type { CacheRow } from '../../src/cache/types.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import stableStringify from 'fast-json-stable-stringify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defineBot,
  invoke,
  registerAction,
  replayKey,
  type CodeExecOutput,
  type InvokeOptions,
  type InvokeResult,
  type MemorySearchOutput,
  type RehearseEvent,
} from '../../src/index.js';
import { startOpenAIServer, type ChatReply, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempDir } from '../support/temp.js';

// ---- helpers --------------------------------------------------------------------------------------

/** A row as the test reads it back: the store's own row type, so a renamed column breaks the build. */
type EntryRow = CacheRow;

/** Every row of the cache file (read-only; an absent file has none), in a stable order. */
function readRows(cachePath: string, org?: string): EntryRow[] {
  if (!existsSync(cachePath)) return [];
  const db = new Database(cachePath, { readonly: true, fileMustExist: true });
  try {
    const sql = `SELECT * FROM entries ${org === undefined ? '' : 'WHERE org = ?'} ORDER BY org, occurrence, key`;
    return (org === undefined ? db.prepare(sql).all() : db.prepare(sql).all(org)) as EntryRow[];
  } finally {
    db.close();
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

type ActionCompleted = Extract<RehearseEvent, { type: 'action.completed' }>;
function completedActions(result: InvokeResult): ActionCompleted[] {
  return result.events.filter((event): event is ActionCompleted => event.type === 'action.completed');
}

function message(content: string): ChatReply {
  return { kind: 'message', content };
}

/** A bot that asks the model one question: the prompt. */
function askBot(version = 'v1', key = 'ask-bot') {
  return defineBot({
    key,
    version,
    async run(input, ctx) {
      const answer = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] });
      return answer.content;
    },
  });
}

/** The params askBot sends for a prompt, as they enter the key. */
function askParams(prompt: string) {
  return { model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] };
}

let server: FakeOpenAIServer;
beforeEach(async () => {
  server = await startOpenAIServer();
});
afterEach(async () => {
  await server.close();
});

/** A temp folder as cwd, the cache inside it, and an env that only points at the fake provider. */
function setup(config?: unknown) {
  const dir = tempDir();
  if (config !== undefined) writeFileSync(join(dir, 'rehearse.config.json'), JSON.stringify(config));
  const cachePath = join(dir, 'cache.sqlite');
  const options = (extra: Partial<InvokeOptions> = {}): InvokeOptions => ({
    mode: 'replay',
    cachePath,
    cwd: dir,
    env: { OPENAI_BASE_URL: server.url },
    ...extra,
  });
  return { dir, cachePath, options };
}

// ---- misses, hits and counters --------------------------------------------------------------------

describe('replay through invoke()', () => {
  it('runs a miss live once and records it; the next run is a hit from the cache', async () => {
    const { cachePath, options } = setup();
    const bot = askBot();

    const first = await invoke(bot, options({ input: 'hello' }));
    expect(first.status).toBe('completed');
    expect(first.result.output).toBe('echo: hello');
    expect(server.requests).toHaveLength(1);

    const rows = readRows(cachePath);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({
      org: 'default',
      bot_id: 'ask-bot',
      bot_version: 'v1',
      action_type: 'llm.message',
      occurrence: 0,
      status: 'success',
      params: '{"messages":[{"content":"hello","role":"user"}],"model":"gpt-4o-mini"}',
    });
    expect(row.key).toBe(sha256(`{"action_type":"llm.message","bot_id":"ask-bot","bot_updated_at":"v1","parameters":${row.params}}`));
    expect(JSON.parse(row.output)).toMatchObject({ content: 'echo: hello' });
    // The fake provider counts 4 characters a token: 'hello' -> 2, 'echo: hello' -> 3; gpt-4o-mini is $0.15 / $0.60 per M.
    expect(JSON.parse(row.usage ?? 'null')).toEqual({ input_tokens: 2, output_tokens: 3 });
    expect(row.cost_usd).toBeCloseTo((2 * 0.15 + 3 * 0.6) / 1e6, 12);

    expect(completedActions(first)).toEqual([
      expect.objectContaining({ status: 'success', source: 'live', recorded: true, cache_key: row.key }),
    ]);
    expect(first.cache).toEqual({ hits: 0, misses: 1, recorded: 1, savedCostUsd: 0 });
    expect(first.costUsd).toBeCloseTo(row.cost_usd, 12);

    const second = await invoke(bot, options({ input: 'hello' }));
    expect(second.status).toBe('completed');
    expect(second.result.output).toBe('echo: hello');
    expect(server.requests).toHaveLength(1); // no new HTTP request
    const [hit] = completedActions(second);
    expect(hit).toMatchObject({ status: 'success', source: 'cache', cache_key: row.key, cost_usd: 0, saved_cost_usd: row.cost_usd });
    expect(hit?.recorded).toBeUndefined();
    expect(second.cache).toEqual({ hits: 1, misses: 0, recorded: 0, savedCostUsd: row.cost_usd });
    expect(second.costUsd).toBe(0);
    expect(second.usage).toEqual({ inputTokens: 2, outputTokens: 3 }); // the recorded usage, reported again
    expect(readRows(cachePath)).toEqual([row]);
  });

  // ---- orgs -------------------------------------------------------------------------------------

  it('keeps orgs apart: a recording of one org is a miss for another, and each org reads only its own rows', async () => {
    const { cachePath, options } = setup();
    const bot = askBot();

    server.enqueue(message('answer for acme'));
    const acme = await invoke(bot, options({ input: 'hello', org: 'acme' }));
    expect(acme.result.output).toBe('answer for acme');
    expect(server.requests).toHaveLength(1);

    const globexStrict = await invoke(bot, options({ input: 'hello', org: 'globex', strict: true }));
    expect(globexStrict.status).toBe('failed');
    expect(globexStrict.error?.code).toBe('CACHE_STRICT_MISS');
    // The nearest-recording search is scoped to the org too: acme's row is not offered as "nearest".
    expect(globexStrict.error?.message).toContain('There is no recording of llm.message for bot "ask-bot" in org "globex"');
    expect(server.requests).toHaveLength(1);
    expect(readRows(cachePath, 'acme')).toHaveLength(1);
    expect(readRows(cachePath, 'globex')).toHaveLength(0);

    server.enqueue(message('answer for globex'));
    const globex = await invoke(bot, options({ input: 'hello', org: 'globex' }));
    expect(globex.result.output).toBe('answer for globex');
    expect(globex.cache).toMatchObject({ hits: 0, recorded: 1 });
    expect(server.requests).toHaveLength(2);

    const acmeRows = readRows(cachePath, 'acme');
    const globexRows = readRows(cachePath, 'globex');
    expect(acmeRows).toHaveLength(1);
    expect(globexRows).toHaveLength(1);
    expect(readRows(cachePath)).toHaveLength(2);
    // Same bot, version and params: the same key, stored once per org.
    expect(acmeRows[0]?.key).toBe(globexRows[0]?.key);
    expect(JSON.parse(acmeRows[0]!.output)).toMatchObject({ content: 'answer for acme' });
    expect(JSON.parse(globexRows[0]!.output)).toMatchObject({ content: 'answer for globex' });

    const acmeAgain = await invoke(bot, options({ input: 'hello', org: 'acme', strict: true }));
    const globexAgain = await invoke(bot, options({ input: 'hello', org: 'globex', strict: true }));
    expect(acmeAgain.result.output).toBe('answer for acme');
    expect(globexAgain.result.output).toBe('answer for globex');
    const defaultOrg = await invoke(bot, options({ input: 'hello', strict: true }));
    expect(defaultOrg.error?.code).toBe('CACHE_STRICT_MISS');
    expect(server.requests).toHaveLength(2);
  });

  // ---- bot version ------------------------------------------------------------------------------

  it('invalidates recordings when the bot version changes, and says so in a strict miss', async () => {
    const { cachePath, options } = setup();
    await invoke(askBot('v1'), options({ input: 'hello' }));
    expect(server.requests).toHaveLength(1);

    const strict = await invoke(askBot('v2'), options({ input: 'hello', strict: true }));
    expect(strict.status).toBe('failed');
    expect(strict.error?.code).toBe('CACHE_STRICT_MISS');
    expect(strict.error?.message).toContain('v1 -> v2');
    expect(strict.error?.message).toMatch(/bot version: v1 -> v2/);
    expect(server.requests).toHaveLength(1);

    const rerecorded = await invoke(askBot('v2'), options({ input: 'hello' }));
    expect(rerecorded.cache).toMatchObject({ hits: 0, misses: 1, recorded: 1 });
    expect(server.requests).toHaveLength(2);
    expect(readRows(cachePath).map((row) => row.bot_version).sort()).toEqual(['v1', 'v2']);
  });

  // ---- refresh ----------------------------------------------------------------------------------

  it('refresh runs live and overwrites the recording of that key', async () => {
    const { cachePath, options } = setup();
    const bot = askBot();
    await invoke(bot, options({ input: 'hello' }));
    const [before] = readRows(cachePath);
    expect(JSON.parse(before!.output)).toMatchObject({ content: 'echo: hello' });

    server.reply(() => message('a fresh answer'));
    const refreshed = await invoke(bot, options({ input: 'hello', refresh: true }));
    expect(refreshed.status).toBe('completed');
    expect(refreshed.result.output).toBe('a fresh answer');
    expect(server.requests).toHaveLength(2);
    expect(completedActions(refreshed)[0]).toMatchObject({ source: 'live', recorded: true, cache_key: before!.key });
    expect(refreshed.cache).toMatchObject({ hits: 0, recorded: 1 });

    const after = readRows(cachePath);
    expect(after).toHaveLength(1);
    expect(after[0]?.key).toBe(before!.key);
    expect(JSON.parse(after[0]!.output)).toMatchObject({ content: 'a fresh answer' });

    const replayed = await invoke(bot, options({ input: 'hello', strict: true }));
    expect(replayed.result.output).toBe('a fresh answer');
    expect(server.requests).toHaveLength(2);
  });

  // ---- strict misses ----------------------------------------------------------------------------

  it('explains a strict miss: bot, action, key, the differing field, and the command that records it', async () => {
    const { cachePath, options } = setup();
    const bot = askBot('v1', 'strict-bot');
    await invoke(bot, options({ input: 'hello there' }));
    expect(server.requests).toHaveLength(1);
    const fileBefore = readFileSync(cachePath);

    const result = await invoke(bot, options({ input: 'goodbye', strict: true }));
    expect(result.status).toBe('failed');
    expect(result.success).toBe(false);
    expect(server.requests).toHaveLength(1); // a strict run never calls the provider

    const expectedKey = replayKey({ bot_id: 'strict-bot', bot_updated_at: 'v1', action_type: 'llm.message', parameters: askParams('goodbye'), occurrence: 0 });
    const error = result.error!;
    expect(error.code).toBe('CACHE_STRICT_MISS');
    expect(error.message).toContain('"strict-bot"');
    expect(error.message).toContain('llm.message');
    expect(error.message).toContain(expectedKey);
    expect(error.message).toContain('messages[0].content: "hello there" -> "goodbye"');
    expect(error.hint).toMatch(/npx rehearse invoke strict-bot goodbye .*--mode replay/);
    const command = error.hint?.split('\n').find((line) => line.includes('npx rehearse invoke'));
    expect(command).toBeDefined();
    expect(command).not.toContain('--strict'); // the command records: it must not be strict itself
    expect(command).toContain('--cache cache.sqlite'); // relative to the invocation's cwd, where it is to be run

    expect(completedActions(result)).toEqual([
      expect.objectContaining({ status: 'error', source: 'cache', cache_key: expectedKey, error: expect.objectContaining({ code: 'CACHE_STRICT_MISS' }) }),
    ]);
    expect(result.cache).toEqual({ hits: 0, misses: 1, recorded: 0, savedCostUsd: 0 });
    expect(readFileSync(cachePath).equals(fileBefore)).toBe(true);
  });

  // ---- repeats ----------------------------------------------------------------------------------

  const repeatBot = (calls: number) =>
    defineBot({
      key: 'repeat-bot',
      version: 'v1',
      async run(_input, ctx) {
        const answers: Array<string | null> = [];
        for (let index = 0; index < calls; index++) {
          answers.push((await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'roll a die' }] })).content);
        }
        return answers;
      },
    });

  it('records repeated identical calls as occurrences 0, 1, 2 and replays them in order', async () => {
    const { cachePath, options } = setup();
    server.enqueue(message('four'), message('two'), message('six'));

    const recorded = await invoke(repeatBot(3), options());
    expect(recorded.result.output).toEqual(['four', 'two', 'six']);
    expect(server.requests).toHaveLength(3);
    expect(recorded.cache).toMatchObject({ misses: 3, recorded: 3 });

    const rows = readRows(cachePath);
    expect(rows.map((row) => row.occurrence)).toEqual([0, 1, 2]);
    expect(rows.map((row) => (JSON.parse(row.output) as { content: string }).content)).toEqual(['four', 'two', 'six']);
    expect(new Set(rows.map((row) => row.params)).size).toBe(1);
    const material = { bot_id: 'repeat-bot', bot_updated_at: 'v1', action_type: 'llm.message', parameters: askParams('roll a die') };
    expect(rows.map((row) => row.key)).toEqual([
      replayKey({ ...material, occurrence: 0 }),
      replayKey({ ...material, occurrence: 1 }),
      replayKey({ ...material, occurrence: 2 }),
    ]);
    expect(rows[2]?.key).toBe(sha256(`{"action_type":"llm.message","bot_id":"repeat-bot","bot_updated_at":"v1","occurrence":2,"parameters":${rows[2]!.params}}`));

    const replayed = await invoke(repeatBot(3), options({ strict: true }));
    expect(replayed.status).toBe('completed');
    expect(replayed.result.output).toEqual(['four', 'two', 'six']);
    expect(completedActions(replayed).map((event) => event.cache_key)).toEqual(rows.map((row) => row.key));
    expect(replayed.cache).toMatchObject({ hits: 3, misses: 0 });
    expect(server.requests).toHaveLength(3);
  });

  it('a strict run that repeats a call once more than recorded misses and says so', async () => {
    const { options } = setup();
    server.enqueue(message('four'), message('two'));
    await invoke(repeatBot(2), options());

    const result = await invoke(repeatBot(3), options({ strict: true }));
    expect(result.error?.code).toBe('CACHE_STRICT_MISS');
    expect(result.error?.message).toContain('this call repeats one more time than when it was recorded');
    expect(result.cache).toMatchObject({ hits: 2, misses: 1 });
    expect(server.requests).toHaveLength(2);
  });

  // ---- live errors ------------------------------------------------------------------------------

  it('fails on a provider 500 with its status and message, and records nothing', async () => {
    const { cachePath, options } = setup();
    // Every attempt fails, so the outcome does not depend on how many times the executor retries.
    server.reply(() => ({ kind: 'error', status: 500, message: 'The server had an error while processing your request.' }));

    const result = await invoke(askBot(), options({ input: 'hello' }));
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('PROVIDER_ERROR');
    expect(result.error?.message).toContain('500');
    expect(result.error?.message).toContain('The server had an error while processing your request.');
    expect(server.requests.length).toBeGreaterThanOrEqual(1);
    expect(completedActions(result)[0]).toMatchObject({ status: 'error', source: 'live' });
    expect(result.cache).toEqual({ hits: 0, misses: 0, recorded: 0, savedCostUsd: 0 });
    expect(existsSync(cachePath)).toBe(false);
    expect(readRows(cachePath)).toEqual([]);
  });

  it('fails on a provider 400 with its status and message, and records nothing', async () => {
    const { cachePath, options } = setup();
    server.enqueue({ kind: 'error', status: 400, message: "Invalid value for 'temperature': must be at most 2.", code: 'invalid_value' });

    const result = await invoke(askBot(), options({ input: 'hello' }));
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('PROVIDER_ERROR');
    expect(result.error?.message).toContain('400');
    expect(result.error?.message).toContain("Invalid value for 'temperature': must be at most 2.");
    expect(server.requests).toHaveLength(1);
    expect(existsSync(cachePath)).toBe(false);
    expect(readRows(cachePath)).toEqual([]);
  });

  it('keeps the old recording when a refresh fails live', async () => {
    const { cachePath, options } = setup();
    const bot = askBot();
    await invoke(bot, options({ input: 'hello' }));
    const before = readRows(cachePath);

    server.reply(() => ({ kind: 'error', status: 500, message: 'The server is overloaded' }));
    const result = await invoke(bot, options({ input: 'hello', refresh: true }));
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('The server is overloaded');
    expect(readRows(cachePath)).toEqual(before);
  });

  // ---- cache.ignore -----------------------------------------------------------------------------

  describe('cache.ignore', () => {
    const lookups: unknown[] = [];
    registerAction({
      type: 'test-replay.lookup',
      cachedByDefault: true,
      async run(params: unknown) {
        lookups.push(params);
        return { output: { answer: `live answer ${lookups.length}` } };
      },
    });
    const lookupBot = defineBot({
      key: 'lookup-bot',
      version: 'v1',
      run: (input, ctx) =>
        ctx.act('test-replay.lookup', { query: input.prompt, metadata: { request_id: input.parameters.requestId, user: 'u1' } }),
    });
    beforeEach(() => {
      lookups.length = 0;
    });

    it('drops the configured path before hashing, so calls differing only there share a key', async () => {
      const { cachePath, options } = setup({ cache: { ignore: ['metadata.request_id'] } });

      const first = await invoke(lookupBot, options({ input: 'refund policy', parameters: { requestId: 'req-1' } }));
      expect(first.status).toBe('completed');
      expect(first.result.output).toEqual({ answer: 'live answer 1' });
      expect(lookups).toHaveLength(1);

      const second = await invoke(lookupBot, options({ input: 'refund policy', parameters: { requestId: 'req-2' }, strict: true }));
      expect(second.error).toBeUndefined();
      expect(second.result.output).toEqual({ answer: 'live answer 1' });
      expect(lookups).toHaveLength(1);
      expect(completedActions(second)[0]).toMatchObject({ source: 'cache' });
      expect(completedActions(second)[0]?.cache_key).toBe(completedActions(first)[0]?.cache_key);

      const rows = readRows(cachePath);
      expect(rows).toHaveLength(1);
      expect(rows[0]?.params).toBe('{"metadata":{"user":"u1"},"query":"refund policy"}');
      expect(rows[0]?.key).toBe(
        replayKey({ bot_id: 'lookup-bot', bot_updated_at: 'v1', action_type: 'test-replay.lookup', parameters: { query: 'refund policy', metadata: { user: 'u1' } }, occurrence: 0 }),
      );
    });

    it('without cache.ignore, the same two calls have different keys', async () => {
      const { options } = setup();
      await invoke(lookupBot, options({ input: 'refund policy', parameters: { requestId: 'req-1' } }));
      const second = await invoke(lookupBot, options({ input: 'refund policy', parameters: { requestId: 'req-2' }, strict: true }));
      expect(second.error?.code).toBe('CACHE_STRICT_MISS');
      expect(second.error?.message).toContain('metadata.request_id: "req-1" -> "req-2"');
      expect(lookups).toHaveLength(1);
    });

    // DESIGN.md ("Actions") names the paths of cache.ignore as `parameters.metadata.request_id`.
    it('accepts the path form DESIGN.md documents (parameters.metadata.request_id)', async () => {
      const { cachePath, options } = setup({ cache: { ignore: ['parameters.metadata.request_id'] } });
      await invoke(lookupBot, options({ input: 'refund policy', parameters: { requestId: 'req-1' } }));
      const second = await invoke(lookupBot, options({ input: 'refund policy', parameters: { requestId: 'req-2' }, strict: true }));
      expect(second.error).toBeUndefined();
      expect(second.result.output).toEqual({ answer: 'live answer 1' });
      expect(readRows(cachePath)[0]?.params).toBe('{"metadata":{"user":"u1"},"query":"refund policy"}');
    });
  });

  // ---- which action types are cached -------------------------------------------------------------

  describe('cache policy per action type', () => {
    let runs = 0;
    registerAction({
      type: 'test-replay.uncached',
      async run(params: unknown) {
        runs++;
        return { output: { echoed: params, run: runs } };
      },
    });
    const uncachedBot = defineBot({
      key: 'uncached-bot',
      version: 'v1',
      run: (input, ctx) => ctx.act('test-replay.uncached', { text: input.prompt }),
    });
    beforeEach(() => {
      runs = 0;
    });

    it('runs types that are not cached by default live in replay mode, and writes nothing', async () => {
      const { dir, cachePath, options } = setup();
      const first = await invoke(uncachedBot, options({ input: 'x' }));
      const second = await invoke(uncachedBot, options({ input: 'x', strict: true }));
      expect(first.result.output).toEqual({ echoed: { text: 'x' }, run: 1 });
      expect(second.result.output).toEqual({ echoed: { text: 'x' }, run: 2 });
      expect(runs).toBe(2);
      for (const result of [first, second]) {
        const [event] = completedActions(result);
        expect(event).toMatchObject({ status: 'success', source: 'live' });
        expect(event?.cache_key).toBeUndefined();
        expect(event?.recorded).toBeUndefined();
        expect(result.cache).toEqual({ hits: 0, misses: 0, recorded: 0, savedCostUsd: 0 });
      }
      expect(existsSync(cachePath)).toBe(false);
      expect(existsSync(join(dir, 'cache'))).toBe(false);
    });

    it('caches them when cache.actions names them', async () => {
      const { cachePath, options } = setup({ cache: { actions: ['test-replay.uncached'] } });
      const first = await invoke(uncachedBot, options({ input: 'x' }));
      expect(first.cache).toMatchObject({ misses: 1, recorded: 1 });
      const second = await invoke(uncachedBot, options({ input: 'x', strict: true }));
      expect(second.error).toBeUndefined();
      expect(second.result.output).toEqual({ echoed: { text: 'x' }, run: 1 });
      expect(completedActions(second)[0]).toMatchObject({ source: 'cache' });
      expect(runs).toBe(1);
      expect(readRows(cachePath).map((row) => row.action_type)).toEqual(['test-replay.uncached']);
    });
  });

  // ---- codeexec.run and memory.search from recordings ---------------------------------------------

  describe('codeexec.run and memory.search', () => {
    const toolBot = defineBot({
      key: 'tool-bot',
      version: 'v1',
      async run(_input, ctx) {
        const code = await ctx.codeexec.run({ language: 'python', code: 'print(6 * 7)' });
        const found = await ctx.memory.search({ query: 'refund policy', limit: 2 });
        return { stdout: code.stdout, first: found.results[0]?.text };
      },
    });
    const codeOutput: CodeExecOutput = { stdout: '42\n', stderr: '', exit_code: 0 };
    const searchOutput: MemorySearchOutput = { results: [{ id: 'doc-7', text: 'Refunds take 5 business days.', score: 3.2 }] };

    /** Seeds a cache file by hand, keyed with the formula of DESIGN.md. */
    function seed(cachePath: string, entries: Array<{ action_type: string; parameters: unknown; output: unknown }>): string[] {
      const db = new Database(cachePath);
      try {
        db.exec(`
          CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
          INSERT INTO meta (name, value) VALUES ('schema_version', '1');
          CREATE TABLE entries (
            org TEXT NOT NULL, key TEXT NOT NULL, bot_id TEXT NOT NULL, bot_version TEXT NOT NULL, action_type TEXT NOT NULL,
            params TEXT NOT NULL, occurrence INTEGER NOT NULL DEFAULT 0, output TEXT NOT NULL, status TEXT NOT NULL, usage TEXT,
            cost_usd REAL NOT NULL DEFAULT 0, duration_ms REAL NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
            PRIMARY KEY (org, key)
          );`);
        const insert = db.prepare(
          `INSERT INTO entries (org, key, bot_id, bot_version, action_type, params, occurrence, output, status, usage, cost_usd, duration_ms, created_at)
           VALUES ('default', ?, 'tool-bot', 'v1', ?, ?, 0, ?, 'success', NULL, 0, 5, '2025-01-01T00:00:00.000Z')`,
        );
        return entries.map((entry) => {
          const key = sha256(stableStringify({ bot_id: 'tool-bot', bot_updated_at: 'v1', action_type: entry.action_type, parameters: entry.parameters }));
          insert.run(key, entry.action_type, stableStringify(entry.parameters), JSON.stringify(entry.output));
          return key;
        });
      } finally {
        db.close();
      }
    }

    // The same key as toolBot, so that seeded recordings would match it if codeexec.run were cached.
    const codeOnlyBot = defineBot({
      key: 'tool-bot',
      version: 'v1',
      run: async (_input, ctx) => (await ctx.codeexec.run({ language: 'python', code: 'print(6 * 7)' })).stdout,
    });

    it('are served from recordings in strict replay when cache.actions includes them', async () => {
      const { cachePath, options } = setup({ cache: { actions: ['codeexec.run', 'memory.search'] } });
      const keys = seed(cachePath, [
        { action_type: 'codeexec.run', parameters: { language: 'python', code: 'print(6 * 7)' }, output: codeOutput },
        { action_type: 'memory.search', parameters: { query: 'refund policy', limit: 2 }, output: searchOutput },
      ]);
      const fileBefore = readFileSync(cachePath);

      const result = await invoke(toolBot, options({ strict: true }));
      expect(result.error).toBeUndefined();
      expect(result.result.output).toEqual({ stdout: '42\n', first: 'Refunds take 5 business days.' });
      expect(completedActions(result).map((event) => [event.action_type, event.source, event.cache_key])).toEqual([
        ['codeexec.run', 'cache', keys[0]],
        ['memory.search', 'cache', keys[1]],
      ]);
      expect(result.cache).toMatchObject({ hits: 2, misses: 0, recorded: 0 });
      expect(server.requests).toHaveLength(0);
      expect(readFileSync(cachePath).equals(fileBefore)).toBe(true);
    });

    it('are served from mocks in manual mode, with the same config', async () => {
      const { cachePath, options } = setup({ cache: { actions: ['codeexec.run', 'memory.search'] } });
      const result = await invoke(
        toolBot,
        options({
          mode: 'manual',
          mocks: { 'codeexec.run': { status: 'success', output: codeOutput }, 'memory.search': { status: 'success', output: searchOutput } },
        }),
      );
      expect(result.error).toBeUndefined();
      expect(result.result.output).toEqual({ stdout: '42\n', first: 'Refunds take 5 business days.' });
      expect(completedActions(result).map((event) => event.source)).toEqual(['mock', 'mock']);
      expect(existsSync(cachePath)).toBe(false);
    });

    it('are not cached by default: replay runs codeexec.run live even where a recording exists', async () => {
      const { cachePath, options } = setup();
      const recorded = { ...codeOutput, stdout: 'recorded, not run\n' };
      seed(cachePath, [{ action_type: 'codeexec.run', parameters: { language: 'python', code: 'print(6 * 7)' }, output: recorded }]);
      const result = await invoke(codeOnlyBot, options({ strict: true }));
      expect(result.error).toBeUndefined();
      expect(result.result.output).toBe('42\n');
      expect(completedActions(result)[0]).toMatchObject({ action_type: 'codeexec.run', status: 'success', source: 'live' });
      expect(completedActions(result)[0]?.cache_key).toBeUndefined();
    });
  });
});
