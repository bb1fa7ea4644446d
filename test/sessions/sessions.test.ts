/** The session store: histories, turns, listing, deleting (with the sandbox), org scoping, many processes. */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  appendSessionTurn,
  checkSessionId,
  deleteSession,
  getSession,
  listSessions,
  loadSessionHistory,
  sessionSandboxDir,
} from '../../src/sessions/index.js';
import { closeStateDatabase } from '../../src/state/database.js';
import { tempDir } from '../support/temp.js';

afterEach(() => closeStateDatabase());

function statePath(): string {
  return join(tempDir(), '.rehearse/state.sqlite');
}

describe('history', () => {
  it('is empty for a session not seen yet, and creates no session by reading', () => {
    const state = statePath();
    expect(loadSessionHistory(state, 'default', 'sess_new')).toEqual([]);
    expect(getSession(state, 'default', 'sess_new')).toBeUndefined();
    expect(listSessions(state, 'default')).toEqual([]);
  });

  it('grows turn by turn, oldest first, and the session keeps its bot, its times and its count', () => {
    const state = statePath();
    expect(appendSessionTurn(state, { org: 'default', sessionId: 's1', botId: 'support-bot', user: 'Hi', assistant: 'Hello!', at: '2025-03-01T09:00:00Z' })).toBe(1);
    expect(appendSessionTurn(state, { org: 'default', sessionId: 's1', botId: 'support-bot', user: 'Where is order 42?', assistant: 'It shipped.', at: Date.parse('2025-03-01T09:01:00Z') })).toBe(2);
    expect(appendSessionTurn(state, { org: 'default', sessionId: 's1', botId: 'support-bot', user: 'Thanks', assistant: 'Any time.', at: new Date('2025-03-01T09:02:00Z') })).toBe(3);

    expect(loadSessionHistory(state, 'default', 's1')).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Where is order 42?' },
      { role: 'assistant', content: 'It shipped.' },
      { role: 'user', content: 'Thanks' },
      { role: 'assistant', content: 'Any time.' },
    ]);
    const session = getSession(state, 'default', 's1')!;
    expect(session).toMatchObject({
      id: 's1',
      org: 'default',
      botId: 'support-bot',
      createdAt: '2025-03-01T09:00:00.000Z',
      updatedAt: '2025-03-01T09:02:00.000Z',
      turns: 3,
      firstPrompt: 'Hi',
    });
    expect(session.messages.map((message) => [message.turn, message.role, message.at])).toEqual([
      [1, 'user', '2025-03-01T09:00:00.000Z'],
      [1, 'assistant', '2025-03-01T09:00:00.000Z'],
      [2, 'user', '2025-03-01T09:01:00.000Z'],
      [2, 'assistant', '2025-03-01T09:01:00.000Z'],
      [3, 'user', '2025-03-01T09:02:00.000Z'],
      [3, 'assistant', '2025-03-01T09:02:00.000Z'],
    ]);
  });

  it('leaves a missing side of a turn out, and still counts the turn', () => {
    const state = statePath();
    appendSessionTurn(state, { org: 'default', sessionId: 's1', botId: 'b', user: 'Only a question', assistant: null });
    appendSessionTurn(state, { org: 'default', sessionId: 's1', botId: 'b', user: null, assistant: 'Only an answer' });
    appendSessionTurn(state, { org: 'default', sessionId: 's1', botId: 'b', user: null, assistant: null });
    expect(loadSessionHistory(state, 'default', 's1')).toEqual([
      { role: 'user', content: 'Only a question' },
      { role: 'assistant', content: 'Only an answer' },
    ]);
    expect(getSession(state, 'default', 's1')?.turns).toBe(3);
  });

  it('keeps the bot that started the session, and an updated_at that never goes back', () => {
    const state = statePath();
    appendSessionTurn(state, { org: 'default', sessionId: 's1', botId: 'first-bot', user: 'a', assistant: 'b', at: '2025-03-02T00:00:00Z' });
    appendSessionTurn(state, { org: 'default', sessionId: 's1', botId: 'other-bot', user: 'c', assistant: 'd', at: '2025-03-01T00:00:00Z' });
    expect(getSession(state, 'default', 's1')).toMatchObject({ botId: 'first-bot', updatedAt: '2025-03-02T00:00:00.000Z', turns: 2 });
  });

  it('survives reopening the file (another process, a later invocation)', () => {
    const state = statePath();
    appendSessionTurn(state, { org: 'default', sessionId: 's1', botId: 'b', user: 'remember 7', assistant: 'ok' });
    closeStateDatabase();
    expect(loadSessionHistory(state, 'default', 's1')).toEqual([
      { role: 'user', content: 'remember 7' },
      { role: 'assistant', content: 'ok' },
    ]);
  });
});

describe('listing', () => {
  it('lists the most recently used first, by bot, with a limit', () => {
    const state = statePath();
    appendSessionTurn(state, { org: 'default', sessionId: 'old', botId: 'support-bot', user: 'first', assistant: 'x', at: '2025-01-01T00:00:00Z' });
    appendSessionTurn(state, { org: 'default', sessionId: 'mid', botId: 'refund-bot', user: 'second', assistant: 'x', at: '2025-01-02T00:00:00Z' });
    appendSessionTurn(state, { org: 'default', sessionId: 'new', botId: 'support-bot', user: 'third', assistant: 'x', at: '2025-01-03T00:00:00Z' });
    // A later turn moves a session up.
    appendSessionTurn(state, { org: 'default', sessionId: 'old', botId: 'support-bot', user: 'again', assistant: 'x', at: '2025-01-04T00:00:00Z' });

    expect(listSessions(state, 'default').map((session) => session.id)).toEqual(['old', 'new', 'mid']);
    expect(listSessions(state, 'default', { botId: 'support-bot' }).map((session) => session.id)).toEqual(['old', 'new']);
    expect(listSessions(state, 'default', { limit: 1 }).map((session) => [session.id, session.turns, session.firstPrompt])).toEqual([['old', 2, 'first']]);
    expect(() => listSessions(state, 'default', { limit: 0 })).toThrow(UsageError);
  });
});

describe('orgs', () => {
  it('never shows, continues or deletes one org’s session for another, even under the same id', () => {
    const state = statePath();
    appendSessionTurn(state, { org: 'acme', sessionId: 'shared-id', botId: 'b', user: 'acme secret', assistant: 'noted' });
    appendSessionTurn(state, { org: 'globex', sessionId: 'shared-id', botId: 'b', user: 'globex question', assistant: 'answer' });

    expect(loadSessionHistory(state, 'acme', 'shared-id').map((message) => message.content)).toEqual(['acme secret', 'noted']);
    expect(loadSessionHistory(state, 'globex', 'shared-id').map((message) => message.content)).toEqual(['globex question', 'answer']);
    expect(loadSessionHistory(state, 'default', 'shared-id')).toEqual([]);
    expect(listSessions(state, 'acme').map((session) => session.firstPrompt)).toEqual(['acme secret']);
    expect(getSession(state, 'default', 'shared-id')).toBeUndefined();

    mkdirSync(sessionSandboxDir(state, 'globex', 'shared-id'), { recursive: true });
    expect(deleteSession(state, 'acme', 'shared-id')).toBe(true);
    expect(loadSessionHistory(state, 'acme', 'shared-id')).toEqual([]);
    expect(loadSessionHistory(state, 'globex', 'shared-id')).toHaveLength(2);
    expect(existsSync(sessionSandboxDir(state, 'globex', 'shared-id'))).toBe(true);
  });
});

describe('sandbox folders and deleting', () => {
  it('puts a session’s sandbox beside the state file, under its org', () => {
    const state = statePath();
    expect(sessionSandboxDir(state, 'acme', 'sess_1')).toBe(join(resolve(state, '..'), 'sandboxes', 'acme', 'sess_1'));
    expect(sessionSandboxDir('rel/state.sqlite', 'default', 's')).toBe(resolve('rel/sandboxes/default/s'));
  });

  it('deletes the messages, the session and its sandbox folder; false when there was nothing', () => {
    const state = statePath();
    appendSessionTurn(state, { org: 'default', sessionId: 's1', botId: 'b', user: 'write a file', assistant: 'done' });
    const sandbox = sessionSandboxDir(state, 'default', 's1');
    mkdirSync(join(sandbox, 'nested'), { recursive: true });
    writeFileSync(join(sandbox, 'nested/notes.txt'), 'kept between turns');

    expect(deleteSession(state, 'default', 's1')).toBe(true);
    expect(existsSync(sandbox)).toBe(false);
    expect(getSession(state, 'default', 's1')).toBeUndefined();
    expect(loadSessionHistory(state, 'default', 's1')).toEqual([]);
    expect(deleteSession(state, 'default', 's1')).toBe(false);

    const db = new Database(state, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM session_messages').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it('removes a sandbox left by a session that never finished a turn', () => {
    const state = statePath();
    const sandbox = sessionSandboxDir(state, 'default', 'orphan');
    mkdirSync(sandbox, { recursive: true });
    expect(deleteSession(state, 'default', 'orphan')).toBe(true);
    expect(existsSync(sandbox)).toBe(false);
  });

  it.each(['../escape', '..', '.', '.hidden', 'a/b', 'a\\b', 'a..b', '', 'x'.repeat(129), 'white space', 'sess\u0000'])(
    'refuses the session id %j everywhere, as a usage error',
    (id) => {
      const state = statePath();
      expect(() => checkSessionId(id)).toThrow(UsageError);
      expect(() => sessionSandboxDir(state, 'default', id)).toThrow(UsageError);
      expect(() => loadSessionHistory(state, 'default', id)).toThrow(UsageError);
      expect(() => appendSessionTurn(state, { org: 'default', sessionId: id, botId: 'b', user: 'x', assistant: null })).toThrow(UsageError);
      expect(() => getSession(state, 'default', id)).toThrow(UsageError);
      expect(() => deleteSession(state, 'default', id)).toThrow(UsageError);
    },
  );

  it.each(['../acme', '.', '', 'a/b', '-x'])('refuses the org %j', (org) => {
    const state = statePath();
    expect(() => sessionSandboxDir(state, org, 's1')).toThrow(UsageError);
    expect(() => loadSessionHistory(state, org, 's1')).toThrow(UsageError);
    expect(() => listSessions(state, org)).toThrow(UsageError);
    expect(() => deleteSession(state, org, 's1')).toThrow(UsageError);
  });

  it('accepts the ids rehearse makes and ordinary ones', () => {
    for (const id of ['sess_0b7e9d1c-3f7a-4c1e-9a8b-2f0c4d5e6a7b', 'ticket-42', 'user.7_chat', '-dash', 'x'.repeat(128)]) {
      expect(checkSessionId(id)).toBe(id);
    }
  });
});

describe('many processes', () => {
  it('4 processes appending to one session and recording at once lose nothing and number every turn once', async () => {
    const state = statePath();
    const worker = resolve(import.meta.dirname, 'fixtures/append-worker.ts');
    const processes = 4;
    const count = 30;
    const outputs = await Promise.all(
      Array.from({ length: processes }, (_, index) =>
        promisify(execFile)(process.execPath, ['--import', 'tsx', worker, state, String(index), String(count)], {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
          timeout: 60_000,
        }),
      ),
    );
    const turns = outputs.flatMap(({ stdout }) => {
      const report = JSON.parse(stdout.trim()) as { turns: number[]; errors: string[] };
      expect(report.errors).toEqual([]);
      return report.turns;
    });
    expect(turns.sort((a, b) => a - b)).toEqual(Array.from({ length: processes * count }, (_, index) => index + 1));

    const session = getSession(state, 'acme', 'sess_shared')!;
    expect(session.turns).toBe(processes * count);
    expect(session.messages).toHaveLength(2 * processes * count);
    // Each turn's question and answer sit together, under the same number.
    for (let index = 0; index < session.messages.length; index += 2) {
      const [question, answer] = [session.messages[index]!, session.messages[index + 1]!];
      expect([question.role, answer.role, answer.turn]).toEqual(['user', 'assistant', question.turn]);
      expect(answer.content).toBe(question.content.replace(' q', ' a'));
    }
    const db = new Database(state, { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) AS n FROM runs WHERE org = 'acme'").get()).toEqual({ n: processes * count });
      expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
    } finally {
      db.close();
    }
  }, 90_000);
});
