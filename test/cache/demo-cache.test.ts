import type { CacheRow } from '../../src/cache/types.js';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import stableStringify from 'fast-json-stable-stringify';
import { describe, expect, it } from 'vitest';
import { invoke, type InvokeResult, type RehearseEvent } from '../../src/index.js';
import { tempDir } from '../support/temp.js';
import { suiteState } from '../support/suite-state.js';

const root = resolve(import.meta.dirname, '../..');
const demoCache = join(root, 'cache/rehearse.sqlite');

type DemoRow = Pick<CacheRow, 'org' | 'key' | 'bot_id' | 'bot_version' | 'action_type' | 'params' | 'occurrence' | 'status'>;

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function demoRows(): DemoRow[] {
  const db = new Database(demoCache, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT org, key, bot_id, bot_version, action_type, params, occurrence, status FROM entries ORDER BY key').all() as DemoRow[];
  } finally {
    db.close();
  }
}

type ActionCompleted = Extract<RehearseEvent, { type: 'action.completed' }>;
function completedActions(result: InvokeResult): ActionCompleted[] {
  return result.events.filter((event): event is ActionCompleted => event.type === 'action.completed');
}

describe('the committed demo cache', () => {
  it('has a key on every row that recomputes from the row with the formula of DESIGN.md', () => {
    const rows = demoRows();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const parameters = JSON.parse(row.params) as unknown;
      // `params` is exactly the canonical JSON that was hashed.
      expect(stableStringify(parameters)).toBe(row.params);
      const material: Record<string, unknown> = {
        bot_id: row.bot_id,
        bot_updated_at: row.bot_version,
        action_type: row.action_type,
        parameters,
      };
      if (row.occurrence > 0) material.occurrence = row.occurrence;
      expect(sha256(stableStringify(material)), `row ${row.key}`).toBe(row.key);
    }
  });

  it('replays the README demo strictly, with no provider, and without changing the file', async () => {
    const committedHash = sha256(readFileSync(demoCache));
    const cachePath = join(tempDir(), 'rehearse.sqlite');
    copyFileSync(demoCache, cachePath);

    const result = await invoke('support-bot', {
      input: 'I was charged twice for my order',
      mode: 'replay',
      strict: true,
      cwd: root,
      cachePath,
      // Port 9 (discard) on loopback: any live call would fail instead of reaching a provider.
      env: { ...suiteState(), OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
    });

    expect(result.error).toBeUndefined();
    expect(result.status).toBe('completed');
    expect(result.cache).toMatchObject({ hits: 2, misses: 0, recorded: 0 });
    expect(result.cache.savedCostUsd).toBeGreaterThan(0);
    expect(result.result.output).toMatchObject({ category: 'billing' });
    expect((result.result.output as { content: string }).content).toMatch(/refund/i);

    const keys = new Set(demoRows().map((row) => row.key));
    const actions = completedActions(result).filter((action) => action.action_type === 'llm.message');
    expect(actions).toHaveLength(2);
    expect(completedActions(result).map((action) => action.action_type)).toEqual(['llm.message', 'memory.search', 'codeexec.run', 'llm.message']);
    for (const action of actions) {
      expect(action.source).toBe('cache');
      expect(keys.has(action.cache_key ?? '')).toBe(true);
    }

    expect(sha256(readFileSync(cachePath))).toBe(committedHash);
    expect(sha256(readFileSync(demoCache))).toBe(committedHash);
  });
});
