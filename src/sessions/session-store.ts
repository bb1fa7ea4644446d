import { existsSync, rmSync } from 'node:fs';
import type { LlmMessage } from '../actions/llm-types.js';
import { checkOrg } from '../config/resolve.js';
import { migrate, openStateDatabase, type StateDatabase, type StateStatement } from '../state/database.js';
import { checkSessionId, sessionSandboxDir } from './ids.js';
import { isoTime, limitValue } from './time.js';
import type { SessionDetail, SessionInfo, SessionMessage, SessionTurn } from './types.js';

/**
 * Sessions in the state file: one row a session, one row a message. Every statement names the org,
 * so one org never reads, lists or deletes another's conversations. Messages are numbered by their
 * rowid (`seq`), which only grows, so a session's history reads back in the order it was written.
 */
const schemaV1 = `
CREATE TABLE IF NOT EXISTS sessions (
  org TEXT NOT NULL,
  id TEXT NOT NULL,
  bot_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  turns INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (org, id)
);
CREATE INDEX IF NOT EXISTS sessions_recent ON sessions (org, updated_at);
CREATE TABLE IF NOT EXISTS session_messages (
  seq INTEGER PRIMARY KEY,
  org TEXT NOT NULL,
  session_id TEXT NOT NULL,
  turn INTEGER NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  content TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS session_messages_by_session ON session_messages (org, session_id, seq);
`;

interface SessionRow {
  id: string;
  org: string;
  bot_id: string;
  created_at: string;
  updated_at: string;
  turns: number;
  first_prompt: string | null;
}

const sessionColumns = `s.id, s.org, s.bot_id, s.created_at, s.updated_at, s.turns,
  (SELECT m.content FROM session_messages AS m WHERE m.org = s.org AND m.session_id = s.id AND m.role = 'user' ORDER BY m.seq LIMIT 1) AS first_prompt`;

class SessionStatements {
  readonly messages: StateStatement<[string, string], SessionMessage>;
  readonly session: StateStatement<[string, string], SessionRow>;
  readonly list: StateStatement<[{ org: string; bot: string | null; limit: number }], SessionRow>;
  readonly startTurn: StateStatement<[{ org: string; id: string; bot: string; at: string }], { turns: number }>;
  readonly addMessage: StateStatement<[string, string, number, 'user' | 'assistant', string, string]>;
  readonly deleteMessages: StateStatement<[string, string]>;
  readonly deleteSession: StateStatement<[string, string]>;

  constructor(readonly db: StateDatabase) {
    migrate(db, 'sessions', [schemaV1]);
    this.messages = db.prepare('SELECT turn, role, content, at FROM session_messages WHERE org = ? AND session_id = ? ORDER BY seq');
    this.session = db.prepare(`SELECT ${sessionColumns} FROM sessions AS s WHERE s.org = ? AND s.id = ?`);
    this.list = db.prepare(
      `SELECT ${sessionColumns} FROM sessions AS s WHERE s.org = @org AND (@bot IS NULL OR s.bot_id = @bot)
       ORDER BY s.updated_at DESC, s.id LIMIT @limit`,
    );
    // The first turn creates the session (with the bot that started it); later ones count on.
    this.startTurn = db.prepare(
      `INSERT INTO sessions (org, id, bot_id, created_at, updated_at, turns) VALUES (@org, @id, @bot, @at, @at, 1)
       ON CONFLICT (org, id) DO UPDATE SET turns = turns + 1, updated_at = max(updated_at, excluded.updated_at)
       RETURNING turns`,
    );
    this.addMessage = db.prepare('INSERT INTO session_messages (org, session_id, turn, role, content, at) VALUES (?, ?, ?, ?, ?, ?)');
    this.deleteMessages = db.prepare('DELETE FROM session_messages WHERE org = ? AND session_id = ?');
    this.deleteSession = db.prepare('DELETE FROM sessions WHERE org = ? AND id = ?');
  }
}

const prepared = new WeakMap<StateDatabase, SessionStatements>();

/** The session statements on the state file's connection, prepared once per connection. */
function statements(statePath: string): SessionStatements {
  const db = openStateDatabase(statePath);
  let found = prepared.get(db);
  if (!found) {
    found = new SessionStatements(db);
    prepared.set(db, found);
  }
  return found;
}

function sessionInfo(row: SessionRow): SessionInfo {
  return {
    id: row.id,
    org: row.org,
    botId: row.bot_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    turns: row.turns,
    firstPrompt: row.first_prompt,
  };
}

/** The conversation so far, oldest first, ready to hand to a model; empty for a session not seen yet. */
export function loadSessionHistory(statePath: string, org: string, sessionId: string): LlmMessage[] {
  const rows = statements(statePath).messages.all(checkOrg(org), checkSessionId(sessionId));
  return rows.map((row) => ({ role: row.role, content: row.content }));
}

/**
 * Appends one turn (the user's message and the bot's answer; a null one is left out), creating the
 * session on its first turn. One immediate transaction: turns appended at once by many processes are
 * numbered one after the other, none lost. Returns the turn's number (1 for the first).
 */
export function appendSessionTurn(statePath: string, turn: SessionTurn): number {
  const org = checkOrg(turn.org);
  const sessionId = checkSessionId(turn.sessionId);
  const at = isoTime(turn.at ?? Date.now(), 'at');
  const s = statements(statePath);
  return s.db
    .transaction(() => {
      const number = s.startTurn.get({ org, id: sessionId, bot: turn.botId, at })!.turns;
      if (turn.user !== null) s.addMessage.run(org, sessionId, number, 'user', turn.user, at);
      if (turn.assistant !== null) s.addMessage.run(org, sessionId, number, 'assistant', turn.assistant, at);
      return number;
    })
    .immediate();
}

/** The org's sessions, most recently used first. */
export function listSessions(statePath: string, org: string, filter: { botId?: string; limit?: number } = {}): SessionInfo[] {
  const rows = statements(statePath).list.all({ org: checkOrg(org), bot: filter.botId ?? null, limit: limitValue(filter.limit) });
  return rows.map(sessionInfo);
}

/** One session of the org with its messages, or undefined when the org has no such session. */
export function getSession(statePath: string, org: string, id: string): SessionDetail | undefined {
  checkOrg(org);
  checkSessionId(id);
  const s = statements(statePath);
  // One read transaction: the messages belong to the session row read with them.
  return s.db.transaction(() => {
    const row = s.session.get(org, id);
    return row && { ...sessionInfo(row), messages: s.messages.all(org, id) };
  })();
}

/**
 * Deletes a session of the org: its messages, its row, and its sandbox folder. Its invocation records
 * stay (usage does not change when a conversation is deleted). True when there was anything to delete.
 */
export function deleteSession(statePath: string, org: string, id: string): boolean {
  const sandbox = sessionSandboxDir(statePath, org, id);
  const s = statements(statePath);
  const deleted = s.db
    .transaction(() => {
      s.deleteMessages.run(org, id);
      return s.deleteSession.run(org, id).changes > 0;
    })
    .immediate();
  const hadSandbox = existsSync(sandbox);
  rmSync(sandbox, { recursive: true, force: true });
  return deleted || hadSandbox;
}
