import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineBot, invoke, replayKey, type ActionCompletedEvent, type InvokeResult } from '../../src/index.js';
import { readCacheUsage } from '../../src/state/cache-usage.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempDir } from '../support/temp.js';

let server: FakeOpenAIServer;
beforeEach(async () => {
  server = await startOpenAIServer();
});
afterEach(() => server.close());

const completed = (result: InvokeResult) => result.events.filter((event): event is ActionCompletedEvent => event.type === 'action.completed');

function rowsOf(cachePath: string): Array<{ key: string; bot_id: string; bot_version: string; action_type: string; params: string; output: string; occurrence: number; redacted: number; created_at: string }> {
  const db = new Database(cachePath, { readonly: true });
  try {
    return db.prepare('SELECT * FROM entries').all() as ReturnType<typeof rowsOf>;
  } finally {
    db.close();
  }
}

/** A bot that (wrongly) pastes a credential into its prompt. */
const leaky = defineBot({
  key: 'leaky-bot',
  version: 'v1',
  run: (input, ctx) =>
    ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `${input.prompt} (use key ${String(input.parameters.key)})` }] }),
});

describe('secret scrubbing', () => {
  it('replaces a planted key before keying and writing, so a rotated key still replays and no secret is stored', async () => {
    const dir = tempDir();
    const cachePath = join(dir, 'cache.sqlite');
    const env = { OPENAI_BASE_URL: server.url };
    const first = await invoke(leaky, { input: 'hello', parameters: { key: 'sk-proj-AAAAbbbbCCCCdddd1234567890' }, mode: 'replay', cachePath, cwd: dir, env });
    expect(completed(first)[0]).toMatchObject({ recorded: true, redacted: true });

    const file = readFileSync(cachePath, 'utf8');
    expect(file).not.toContain('sk-proj-AAAAbbbbCCCCdddd1234567890');
    const [row] = rowsOf(cachePath);
    expect(row?.redacted).toBe(1);
    expect(row?.params).toContain('[REDACTED]');
    // Every stored key still recomputes from its row.
    expect(replayKey({ bot_id: row!.bot_id, bot_updated_at: row!.bot_version, action_type: row!.action_type, parameters: JSON.parse(row!.params), occurrence: row!.occurrence })).toBe(row!.key);

    const rotated = await invoke(leaky, { input: 'hello', parameters: { key: 'sk-proj-ZZZZyyyyXXXXwwww0987654321' }, mode: 'replay', strict: true, cachePath, cwd: dir, env: {} });
    expect(rotated.error).toBeUndefined();
    expect(rotated.cache.hits).toBe(1);
  });

  it('scrubs secrets in the output, and patterns from config cache.redact', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'rehearse.config.json'), JSON.stringify({ cache: { redact: ['ACME-[0-9]{6}'] } }));
    server.enqueue({ kind: 'message', content: 'Your token is ghp_abcdefghijklmnopqrstuvwxyz0123456789 and your badge ACME-123456' });
    const cachePath = join(dir, 'cache.sqlite');
    const seenByBot: string[] = [];
    const watching = defineBot({ key: 'leaky-bot', version: 'v1', run: async (input, ctx) => {
      const answer = await leaky.run(input, ctx);
      seenByBot.push(answer.content ?? '');
      return answer;
    } });
    const result = await invoke(watching, { input: 'my badge is ACME-654321', parameters: { key: 'none' }, mode: 'replay', cachePath, cwd: dir, env: { OPENAI_BASE_URL: server.url } });
    // The bot itself still gets the live answer; the recording, and what leaves the run, are scrubbed.
    expect(seenByBot[0]).toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    expect((result.result.output as { content: string }).content).toBe('Your token is [REDACTED] and your badge [REDACTED]');
    const [row] = rowsOf(cachePath);
    expect(row?.output).not.toMatch(/ghp_|ACME-\d/);
    expect(row?.params).not.toContain('ACME-654321');
    expect(row?.redacted).toBe(1);
  });

  it('rejects a cache.redact pattern that is not a regular expression', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'rehearse.config.json'), JSON.stringify({ cache: { redact: ['(unclosed'] } }));
    await expect(invoke(leaky, { input: 'x', mode: 'manual', cwd: dir, env: {} })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('expiry', () => {
  const asker = defineBot({
    key: 'expiring-bot',
    version: 'v1',
    run: (input, ctx) => ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] }),
  });

  function backdate(cachePath: string, days: number): void {
    const db = new Database(cachePath);
    try {
      db.prepare('UPDATE entries SET created_at = ?').run(new Date(Date.now() - days * 86_400_000).toISOString());
      db.pragma('journal_mode = DELETE');
    } finally {
      db.close();
    }
  }

  it('treats a recording older than maxAge as a miss: re-recorded, and the event says it expired', async () => {
    const dir = tempDir();
    const cachePath = join(dir, 'cache.sqlite');
    const options = { input: 'old question', mode: 'replay' as const, cachePath, cwd: dir, env: { OPENAI_BASE_URL: server.url } };
    await invoke(asker, options);
    backdate(cachePath, 40);
    const fresh = await invoke(asker, { ...options, maxAge: '30d' });
    expect(completed(fresh)[0]).toMatchObject({ source: 'live', recorded: true, expired: true });
    expect(server.requests).toHaveLength(2);
    const young = await invoke(asker, { ...options, maxAge: '30d', strict: true });
    expect(young.cache.hits).toBe(1);
  });

  it('in strict mode an expired recording fails and says it expired; cache.maxAge in config works too', async () => {
    const dir = tempDir();
    const cachePath = join(dir, 'cache.sqlite');
    await invoke(asker, { input: 'q', mode: 'replay', cachePath, cwd: dir, env: { OPENAI_BASE_URL: server.url } });
    backdate(cachePath, 2);
    writeFileSync(join(dir, 'rehearse.config.json'), JSON.stringify({ cache: { maxAge: '1d' } }));
    const strict = await invoke(asker, { input: 'q', mode: 'replay', strict: true, cachePath, cwd: dir, env: {} });
    expect(strict.error?.code).toBe('CACHE_STRICT_MISS');
    expect(strict.error?.message).toContain('expired');
    await expect(invoke(asker, { input: 'q', mode: 'replay', cachePath, cwd: dir, env: {}, maxAge: 'soon' })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('per-entry usage', () => {
  it('counts hits per recording in the state file, leaving the cache file unchanged', async () => {
    const dir = tempDir();
    const cachePath = join(dir, 'cache.sqlite');
    const bot = defineBot({
      key: 'counted-bot',
      version: 'v1',
      run: (input, ctx) => ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] }),
    });
    const options = { input: 'count me', mode: 'replay' as const, cachePath, cwd: dir, env: { OPENAI_BASE_URL: server.url } };
    await invoke(bot, options);
    const before = readFileSync(cachePath);
    await invoke(bot, { ...options, strict: true });
    await invoke(bot, { ...options, strict: true });
    expect(readFileSync(cachePath).equals(before)).toBe(true);
    const [row] = rowsOf(cachePath);
    const usage = readCacheUsage(join(dir, '.rehearse/state.sqlite'), cachePath, 'default');
    expect(usage.get(row!.key)).toMatchObject({ hits: 2 });
    expect(readCacheUsage(join(dir, '.rehearse/state.sqlite'), cachePath, 'other-org').size).toBe(0);
  });
});
