import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineBot, invoke, replayKey, type InvokeResult, type LlmMessageParams, type RehearseEvent } from '../../src/index.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempDir } from '../support/temp.js';

/** sha256 hex of UTF-8 text, computed here rather than by rehearse. */
function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

type ActionCompleted = Extract<RehearseEvent, { type: 'action.completed' }>;
function completedActions(result: InvokeResult): ActionCompleted[] {
  return result.events.filter((event): event is ActionCompleted => event.type === 'action.completed');
}

// Non-ASCII on purpose: the key hashes the UTF-8 bytes of the canonical JSON.
const params = { temperature: 0, model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Héllo, wörld' }] };
/** The canonical JSON of `params`, written by hand: keys sorted at every level, no whitespace. */
const canonicalParams = '{"messages":[{"content":"Héllo, wörld","role":"user"}],"model":"gpt-4o-mini","temperature":0}';

describe('replayKey', () => {
  it('is the sha256 of the sorted-key JSON of {bot_id, bot_updated_at, action_type, parameters} for occurrence 0', () => {
    const canonical = `{"action_type":"llm.message","bot_id":"key-bot","bot_updated_at":"v1","parameters":${canonicalParams}}`;
    const key = replayKey({ bot_id: 'key-bot', bot_updated_at: 'v1', action_type: 'llm.message', parameters: params, occurrence: 0 });
    expect(key).toBe(sha256(canonical));
    // Pinned literally too (computed with `printf '%s' ... | sha256sum`), so no change of formula slips through.
    expect(key).toBe('f6f74bc935e263f096e86273d8b95b2a5eaea673942176b3cfe4ab051b78db5a');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('adds `occurrence: n` to the hashed object for the n-th repeat', () => {
    const canonical = `{"action_type":"llm.message","bot_id":"key-bot","bot_updated_at":"v1","occurrence":2,"parameters":${canonicalParams}}`;
    const key = replayKey({ bot_id: 'key-bot', bot_updated_at: 'v1', action_type: 'llm.message', parameters: params, occurrence: 2 });
    expect(key).toBe(sha256(canonical));
    expect(key).toBe('f95bce1e5f72992ddf16ea6300fa1af1c28960c45fab705679fcf5da6051a24c');

    const first = replayKey({ bot_id: 'key-bot', bot_updated_at: 'v1', action_type: 'llm.message', parameters: params, occurrence: 0 });
    const second = replayKey({ bot_id: 'key-bot', bot_updated_at: 'v1', action_type: 'llm.message', parameters: params, occurrence: 1 });
    expect(new Set([first, second, key]).size).toBe(3);
  });

  it('does not depend on the key order of the params (at any depth) or of the material', () => {
    const reordered = { messages: [{ content: 'Héllo, wörld', role: 'user' }], model: 'gpt-4o-mini', temperature: 0 };
    const a = replayKey({ bot_id: 'key-bot', bot_updated_at: 'v1', action_type: 'llm.message', parameters: params, occurrence: 0 });
    const b = replayKey({ occurrence: 0, parameters: reordered, action_type: 'llm.message', bot_updated_at: 'v1', bot_id: 'key-bot' });
    expect(b).toBe(a);
  });

  it('changes with each field of the material', () => {
    const base = { bot_id: 'key-bot', bot_updated_at: 'v1', action_type: 'llm.message', parameters: params, occurrence: 0 };
    const keys = [
      replayKey(base),
      replayKey({ ...base, bot_id: 'other-bot' }),
      replayKey({ ...base, bot_updated_at: 'v2' }),
      replayKey({ ...base, action_type: 'memory.search' }),
      replayKey({ ...base, parameters: { ...params, temperature: 0.5 } }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('llm.message keying through invoke()', () => {
  let server: FakeOpenAIServer;
  beforeEach(async () => {
    server = await startOpenAIServer();
  });
  afterEach(async () => {
    await server.close();
  });

  function streamBot(stream: boolean | undefined) {
    return defineBot({
      key: 'stream-bot',
      version: 'v1',
      async run(input, ctx) {
        const call: LlmMessageParams = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] };
        if (stream !== undefined) call.stream = stream;
        return (await ctx.llm.message(call)).content;
      },
    });
  }

  it('gives stream: false, stream: true and no stream the same key', async () => {
    const dir = tempDir();
    const cachePath = join(dir, 'cache.sqlite');
    const env = { OPENAI_BASE_URL: server.url };

    const recorded = await invoke(streamBot(false), { input: 'hi', mode: 'replay', cachePath, env, cwd: dir });
    expect(recorded.status).toBe('completed');
    expect(recorded.cache.recorded).toBe(1);
    expect(server.requests).toHaveLength(1);

    const streamed = await invoke(streamBot(true), { input: 'hi', mode: 'replay', strict: true, cachePath, env, cwd: dir });
    expect(streamed.error).toBeUndefined();
    expect(streamed.result.output).toBe('echo: hi');
    expect(streamed.cache).toMatchObject({ hits: 1, misses: 0 });

    const plain = await invoke(streamBot(undefined), { input: 'hi', mode: 'replay', strict: true, cachePath, env, cwd: dir });
    expect(plain.error).toBeUndefined();
    expect(plain.cache).toMatchObject({ hits: 1, misses: 0 });
    expect(server.requests).toHaveLength(1);

    const expectedKey = replayKey({
      bot_id: 'stream-bot',
      bot_updated_at: 'v1',
      action_type: 'llm.message',
      parameters: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      occurrence: 0,
    });
    for (const result of [recorded, streamed, plain]) expect(completedActions(result)[0]?.cache_key).toBe(expectedKey);

    const db = new Database(cachePath, { readonly: true });
    try {
      const rows = db.prepare('SELECT key, params FROM entries').all() as Array<{ key: string; params: string }>;
      expect(rows).toEqual([{ key: expectedKey, params: '{"messages":[{"content":"hi","role":"user"}],"model":"gpt-4o-mini"}' }]);
    } finally {
      db.close();
    }
  });
});
