/**
 * `rehearse cache verify` end to end on real files: a sound cache passes (exit 0); a corrupted key,
 * params edited under their key, a file truncated mid-page, a file that is not SQLite, a SQLite file
 * that is not a cache and a missing file are each reported as faults (exit 1), never a crash.
 */
import { copyFileSync, existsSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedCache } from '../support/cache-seed.js';
import { rehearse, repoRoot } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
});

interface VerifyJson {
  ok: boolean;
  integrity: string[] | null;
  entries_checked: number;
  orgs_checked: number;
  fault_count: number;
  faults_by_kind: Record<string, number>;
  faults: Array<{ kind: string; key?: string; computed_key?: string; detail: string }>;
}

const verify = async (...args: string[]) => {
  const run = await rehearse(['cache', 'verify', ...args]);
  return { ...run, report: args.includes('json') ? (JSON.parse(run.stdout) as VerifyJson) : undefined };
};

/** A cache of 300 entries (about 40 pages) in two orgs. */
function seeded(): { path: string; keys: string[] } {
  const path = join(tempDir(), 'cache.sqlite');
  const rows = seedCache(path, [
    ...Array.from({ length: 290 }, (_, index) => ({ bot: 'verify-bot', params: { index, text: 'words '.repeat(40) } })),
    ...Array.from({ length: 10 }, (_, index) => ({ org: 'acme', bot: 'verify-bot', params: { index } })),
  ]);
  return { path, keys: rows.map((row) => row.key) };
}

function edit(path: string, sql: string, ...values: unknown[]): void {
  const db = new Database(path);
  db.prepare(sql).run(...values);
  db.close();
}

describe('rehearse cache verify', () => {
  it('passes a sound cache (the committed demo cache too), exit 0', async () => {
    const { path } = seeded();
    const text = await verify('--cache', path);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('integrity  ok');
    // Every org by default, and it says how many.
    expect(text.stdout).toContain('keys of every org');
    expect(text.stdout).toContain('keys       300 recomputed (2 orgs)');
    expect(text.stdout).toContain('OK: the file is sound and every key matches its fields.');
    const all = await verify('--cache', path, '--all-orgs', '--format', 'json');
    expect(all.report).toMatchObject({ ok: true, integrity: ['ok'], entries_checked: 300, orgs_checked: 2, fault_count: 0 });
    const one = await verify('--cache', path, '--org', 'default', '--format', 'json');
    expect(one.report).toMatchObject({ ok: true, entries_checked: 290, orgs_checked: 1 });
    expect((await verify('--cache', join(repoRoot, 'cache/rehearse.sqlite'))).code).toBe(0);
  });

  it('finds a corrupted key, and params changed under their key, naming the key and the one its fields hash to (exit 1)', async () => {
    const { path, keys } = seeded();
    const corrupted = `${keys[5]!.slice(0, 60)}0000`;
    edit(path, 'UPDATE entries SET key = ? WHERE key = ?', corrupted, keys[5]);
    edit(path, `UPDATE entries SET params = json_set(params, '$.index', 9999) WHERE key = ?`, keys[7]);
    const { code, report } = await verify('--cache', path, '--format', 'json');
    expect(code).toBe(1);
    expect(report).toMatchObject({ ok: false, integrity: ['ok'], entries_checked: 300, fault_count: 2, faults_by_kind: { 'key-mismatch': 2 } });
    const byKey = new Map(report!.faults.map((fault) => [fault.key, fault]));
    expect(byKey.get(corrupted)).toMatchObject({ kind: 'key-mismatch', computed_key: keys[5] });
    expect(byKey.get(keys[7])!.computed_key).not.toBe(keys[7]);

    const text = await verify('--cache', path);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('faults     2 (key-mismatch 2)');
    expect(text.stdout).toContain(`but the fields hash to ${keys[5]}`);
    expect(text.stdout).toContain('FAILED: 2 faults.');
    // --org narrows the key check to one org: acme's entries are sound.
    expect((await verify('--cache', path, '--org', 'acme')).code).toBe(0);
  });

  it('reports params that are not JSON, or not in canonical form, and an output that is not JSON', async () => {
    const { path, keys } = seeded();
    edit(path, `UPDATE entries SET params = '{"index": 1, broken' WHERE key = ?`, keys[1]);
    edit(path, `UPDATE entries SET params = ' ' || params WHERE key = ?`, keys[2]); // the same value, so the same key, but not the text that was hashed
    edit(path, `UPDATE entries SET output = 'not json' WHERE key = ?`, keys[3]);
    const { code, report } = await verify('--cache', path, '--format', 'json');
    expect(code).toBe(1);
    expect(report!.faults_by_kind).toEqual({ 'row-invalid': 1, 'params-not-canonical': 1, 'json-invalid': 1 });
    expect(report!.faults.find((fault) => fault.key === keys[2])!.kind).toBe('params-not-canonical');
    expect(report!.faults.find((fault) => fault.key === keys[1])!.detail).toContain('params is not JSON');
    expect(report!.faults.find((fault) => fault.key === keys[3])!.detail).toContain('output is not JSON');
  });

  it('reports a file truncated mid-page as a fault, not a crash (exit 1)', async () => {
    const { path } = seeded();
    const pageSize = 4096;
    const pages = Math.floor(statSync(path).size / pageSize);
    expect(pages).toBeGreaterThan(10);
    const truncated = join(tempDir(), 'truncated.sqlite');
    copyFileSync(path, truncated);
    truncateSync(truncated, Math.floor(pages / 2) * pageSize + 1000); // half way, in the middle of a page
    const text = await verify('--cache', truncated);
    expect(text.code).toBe(1);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/unreadable: SQLite cannot read it: database disk image is malformed|integrity/);
    expect(text.stdout).toContain('FAILED');
    const { report } = await verify('--cache', truncated, '--format', 'json');
    expect(report!.ok).toBe(false);
    expect(report!.fault_count).toBeGreaterThan(0);
  });

  it('reports a file that is not SQLite, a SQLite file that is not a cache, and a missing file (exit 1)', async () => {
    const dir = tempDir();
    const text = join(dir, 'notes.sqlite');
    writeFileSync(text, 'these are notes, not a database. '.repeat(200));
    const notSqlite = await verify('--cache', text, '--format', 'json');
    expect(notSqlite.code).toBe(1);
    expect(notSqlite.report!.faults[0]).toMatchObject({ kind: 'unreadable', detail: expect.stringContaining('not a database') });

    const other = join(dir, 'other.sqlite');
    const db = new Database(other);
    db.exec('CREATE TABLE todo (id INTEGER PRIMARY KEY)');
    db.close();
    const foreign = await verify('--cache', other, '--format', 'json');
    expect(foreign.code).toBe(1);
    expect(foreign.report).toMatchObject({ integrity: ['ok'], faults: [{ kind: 'format', detail: expect.stringContaining('not a rehearse cache') }] });

    const missing = await verify('--cache', join(dir, 'missing.sqlite'));
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('the file does not exist');
  });
});
