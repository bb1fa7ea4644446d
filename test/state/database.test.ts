/**
 * The local state file (src/state/database.ts): created with its folder on first use, its features'
 * tables migrated once, and a file that is not a rehearse state file refused, never written over.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { closeStateDatabase, migrate, openStateDatabase } from '../../src/state/database.js';
import { tempDir } from '../support/temp.js';

afterEach(() => closeStateDatabase());

describe('the state file', () => {
  it('is created with its folder, and a feature migrates once however often it asks', () => {
    const path = join(tempDir(), 'deep', 'folder', 'state.sqlite');
    const db = openStateDatabase(path);
    const steps = ['CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT)', 'ALTER TABLE notes ADD COLUMN at TEXT'];
    migrate(db, 'notes', steps);
    migrate(db, 'notes', steps);
    db.prepare('INSERT INTO notes (text, at) VALUES (?, ?)').run('hello', 'now');
    closeStateDatabase(path);
    // A new connection (another process, say) finds the feature at its version and applies nothing twice.
    const again = openStateDatabase(path);
    migrate(again, 'notes', steps);
    expect(again.prepare('SELECT text, at FROM notes').all()).toEqual([{ text: 'hello', at: 'now' }]);
  });

  it('refuses a feature whose tables a newer rehearse made', () => {
    const path = join(tempDir(), 'state.sqlite');
    migrate(openStateDatabase(path), 'notes', ['CREATE TABLE IF NOT EXISTS notes (id INTEGER)', 'SELECT 1', 'SELECT 1']);
    closeStateDatabase(path);
    expect(() => migrate(openStateDatabase(path), 'notes', ['CREATE TABLE IF NOT EXISTS notes (id INTEGER)'])).toThrow(/made by a newer rehearse \(version 3; this one knows up to 1\)/);
  });

  it('refuses a file that is not SQLite, and leaves it as it was', () => {
    const path = join(tempDir(), 'state.sqlite');
    writeFileSync(path, 'my notes, not a database\n'.repeat(100));
    const before = readFileSync(path);
    expect(() => openStateDatabase(path)).toThrow(/Cannot use the state file .*: it is not a SQLite database/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a SQLite file of something else (a cache, say), naming its tables, and leaves it as it was', () => {
    const path = join(tempDir(), 'state.sqlite');
    const other = new Database(path);
    other.exec('CREATE TABLE entries (org TEXT, key TEXT)');
    other.close();
    const before = readFileSync(path);
    expect(() => openStateDatabase(path)).toThrow(/it is a SQLite database but not a rehearse state file \(tables: entries\)/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('a path that is a folder is named as one, with a file path to use instead', () => {
    const folder = join(tempDir(), 'state');
    mkdirSync(folder);
    expect(() => openStateDatabase(folder)).toThrow(/it is a folder, not a file/);
  });
});
