import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempCachePath } from '../support/temp.js';
import { suiteState } from '../support/suite-state.js';

const run = promisify(execFile);
const worker = resolve(import.meta.dirname, 'fixtures/record-worker.ts');

let server: FakeOpenAIServer;
beforeEach(async () => {
  server = await startOpenAIServer();
});
afterEach(() => server.close());

describe('one cache file, many processes', () => {
  it('records and replays from 4 processes at once with no error and no lost entry', async () => {
    const cachePath = tempCachePath();
    const processes = 4;
    const calls = 25;
    const outputs = await Promise.all(
      Array.from({ length: processes }, (_, index) =>
        run(process.execPath, ['--import', 'tsx', worker, cachePath, server.url, String(index), String(calls)], {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...suiteState() },
          timeout: 60_000,
        }),
      ),
    );
    for (const { stdout } of outputs) {
      expect(JSON.parse(stdout.trim())).toEqual({ recorded: calls, hits: calls, errors: [] });
    }
    const db = new Database(cachePath, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM entries').get()).toEqual({ n: processes * calls });
      expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
    } finally {
      db.close();
    }
    expect(server.requests).toHaveLength(processes * calls);
    // The last writer to close checkpoints: nothing is left beside the file to commit.
    expect(existsSync(`${cachePath}-wal`)).toBe(false);
    expect(existsSync(`${cachePath}-shm`)).toBe(false);
  }, 90_000);
});
