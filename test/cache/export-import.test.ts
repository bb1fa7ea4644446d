/**
 * `rehearse cache export` and `rehearse cache import` end to end on real files: an export imported
 * into a new file gives the same cache column by column (and exports byte for byte the same), the
 * conflict policies, and the refusals (a tampered row, another org, a field the cache has no column
 * for, a file that is not a cache), each of which leaves the cache byte for byte as it was.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayKey } from '../../src/cache/key.js';
import { cacheRow, seedCache, writeRows, type SeedEntry } from '../support/cache-seed.js';
import { rehearse, repoRoot } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
});

/** Entries that exercise every column and every way a JSON column can be written back. */
const varied: SeedEntry[] = [
  { bot: 'alpha-bot', params: { q: 'plain' }, createdAt: '2026-01-02T03:04:05.678Z' },
  { bot: 'alpha-bot', params: { q: 'plain' }, occurrence: 1, output: { content: 'the second time' } },
  { bot: 'alpha-bot', action: 'codeexec.run', params: { language: 'node', code: 'console.log(1)' }, output: { stdout: '1\n', exit_code: 0 }, usage: null, cost: 0 },
  {
    bot: 'beta-bot',
    version: '2025-01-01T00:00:00.000Z',
    params: { messages: [{ role: 'user', content: 'unicode ✓ "quotes" \\ and a\nnewline' }], temperature: 0.7 },
    deltas: [{ text: 'a' }, { text: 'b' }],
    cost: 0.000123456789,
  },
  // Integer-like keys: JSON.parse reorders {"b":1,"2":2}, so this output travels as output_raw.
  { bot: 'beta-bot', params: { '10': 'ten', '9': 'nine', b: 1 }, outputText: '{"b":1,"2":2}' },
  // The JSON text `null` (not SQL NULL).
  { bot: 'beta-bot', params: { q: 'null output' }, outputText: 'null', status: 'error' },
  { bot: 'gamma-bot', params: { q: 'redacted' }, redacted: 1, durationMs: 12.5 },
  { org: 'acme', bot: 'alpha-bot', params: { q: 'acme' } },
];

function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every row, every column, with each value's SQLite type. */
function rowsOf(path: string): Array<Record<string, unknown>> {
  const db = new Database(path, { readonly: true });
  try {
    const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('entries')").all().map((column) => column.name);
    const types = columns.map((column) => `typeof("${column}") AS "type:${column}"`).join(', ');
    return db.prepare<[], Record<string, unknown>>(`SELECT *, ${types} FROM entries ORDER BY org, key`).all();
  } finally {
    db.close();
  }
}

function columnsOf(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('entries')").all().map((column) => column.name);
  } finally {
    db.close();
  }
}

function expectCommittable(cachePath: string): void {
  expect(readdirSync(dirname(cachePath)).filter((name) => /-(wal|shm|journal)$/.test(name))).toEqual([]);
  expect([...readFileSync(cachePath).subarray(18, 20)]).toEqual([1, 1]);
}

const cli = (...args: string[]) => rehearse(['cache', ...args]);

interface ImportJson {
  entries: number;
  added: number;
  replaced: number;
  kept: number;
  unchanged: number;
  refused: boolean;
  wrote: boolean;
  created: boolean;
  fault_count: number;
  faults: Array<{ line: number; key: string | null; computed_key: string | null; problem: string }>;
  conflict_count: number;
  conflicts: Array<{ line: number; key: string }>;
}

describe('rehearse cache export', () => {
  it('writes one stable JSON object a line, sorted by org, bot, action type and key, params and output as JSON', async () => {
    const dir = tempDir();
    const source = join(dir, 'source.sqlite');
    const rows = seedCache(source, varied);
    const first = await cli('export', '--cache', source);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('');
    const second = await cli('export', '--cache', source);
    expect(second.stdout).toBe(first.stdout); // byte-identical, run after run

    const lines = first.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(7); // org default only
    const order = lines.map((line) => [line.bot_id, line.action_type, line.key].join(' '));
    expect(order).toEqual([...order].sort());
    expect(Object.keys(lines[0]!).slice(0, 7)).toEqual(['org', 'key', 'bot_id', 'bot_version', 'action_type', 'occurrence', 'params']);

    const byKey = new Map(lines.map((line) => [line.key, line]));
    const plain = byKey.get(rows[0]!.key)!;
    expect(plain.params).toEqual({ q: 'plain' });
    expect(plain.output).toEqual({ content: 'hi' });
    expect(plain.usage).toEqual({ input_tokens: 10, output_tokens: 2 });
    expect(plain.deltas).toBeNull();
    expect(plain.redacted).toBe(0);
    expect(byKey.get(rows[3]!.key)!.deltas).toEqual([{ text: 'a' }, { text: 'b' }]);
    expect(byKey.get(rows[4]!.key)!).toMatchObject({ params: { '10': 'ten', '9': 'nine', b: 1 }, output_raw: '{"b":1,"2":2}' });
    expect(byKey.get(rows[5]!.key)!).toMatchObject({ output_raw: 'null', status: 'error' });
    expect(byKey.get(rows[6]!.key)!.redacted).toBe(1);

    const toFile = await cli('export', join(dir, 'out.jsonl'), '--cache', source, '--format', 'json');
    expect(JSON.parse(toFile.stdout)).toMatchObject({ org: 'default', entries: 7 });
    expect(readFileSync(join(dir, 'out.jsonl'), 'utf8')).toBe(first.stdout);
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });
});

describe('rehearse cache import', () => {
  it('an export imported into a new file gives an identical cache: same keys, same rows column by column', async () => {
    const dir = tempDir();
    const source = join(dir, 'source.sqlite');
    seedCache(source, varied);
    const before = fileHash(source);
    expect((await cli('export', join(dir, 'default.jsonl'), '--cache', source)).code).toBe(0);
    expect((await cli('export', join(dir, 'acme.jsonl'), '--cache', source, '--org', 'acme')).code).toBe(0);
    expect(fileHash(source)).toBe(before); // exporting reads only

    const copy = join(dir, 'copy/cache.sqlite'); // its folder does not exist either
    const imported = await cli('import', join(dir, 'default.jsonl'), '--cache', copy, '--format', 'json');
    expect(imported.stderr).toBe('');
    expect(JSON.parse(imported.stdout)).toMatchObject({ entries: 7, added: 7, refused: false, wrote: true, created: true });
    const acme = await cli('import', join(dir, 'acme.jsonl'), '--cache', copy, '--org', 'acme');
    expect(acme.code).toBe(0);
    expect(acme.stdout).toContain('1 added');

    expect(columnsOf(copy)).toEqual(columnsOf(source));
    expect(rowsOf(copy)).toEqual(rowsOf(source));
    expectCommittable(copy);
    const again = await cli('export', '--cache', copy);
    expect(again.stdout).toBe(readFileSync(join(dir, 'default.jsonl'), 'utf8'));
    expect((await cli('verify', '--cache', copy, '--all-orgs')).code).toBe(0);
  });

  it('reads stdin, and importing the same export again changes nothing (not a byte)', async () => {
    const dir = tempDir();
    const source = join(dir, 'source.sqlite');
    seedCache(source, varied);
    const exported = (await cli('export', '--cache', source)).stdout;
    const copy = join(dir, 'copy.sqlite');
    const piped = await rehearse(['cache', 'import', '-', '--cache', copy], { stdin: exported });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toContain('Imported 7 entries of stdin');
    const hash = fileHash(copy);
    const repeat = JSON.parse((await rehearse(['cache', 'import', '-', '--cache', copy, '--format', 'json'], { stdin: exported })).stdout) as ImportJson;
    expect(repeat).toMatchObject({ entries: 7, added: 0, unchanged: 7, wrote: false });
    expect(fileHash(copy)).toBe(hash);
  });

  it('conflicts: fail reports the keys and changes nothing; keep leaves the cache entry; replace takes the export one', async () => {
    const dir = tempDir();
    const source = join(dir, 'source.sqlite');
    const rows = seedCache(source, varied);
    const exportFile = join(dir, 'export.jsonl');
    await cli('export', exportFile, '--cache', source);
    // The target holds the first five entries, the second with another output under the same key, and not the last two.
    const target = join(dir, 'target.sqlite');
    const ours = { ...varied[1]!, output: { content: 'our own answer' } };
    seedCache(target, [varied[0]!, ours, ...varied.slice(2, 5)]);
    expect(cacheRow(ours).key).toBe(rows[1]!.key);
    const pristine = join(dir, 'pristine.sqlite');
    copyFileSync(target, pristine);
    const outputOf = (path: string) => rowsOf(path).find((row) => row.key === rows[1]!.key)!.output;

    const hash = fileHash(target);
    const failed = await cli('import', exportFile, '--cache', target);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('Import refused, nothing changed: 1 entry of');
    expect(failed.stderr).toContain(rows[1]!.key);
    expect(failed.stderr).toContain('--on-conflict keep');
    expect(fileHash(target)).toBe(hash);
    const failedJson = JSON.parse((await cli('import', exportFile, '--cache', target, '--format', 'json')).stdout) as ImportJson;
    expect(failedJson).toMatchObject({ refused: true, conflict_count: 1, wrote: false });
    expect(failedJson.conflicts.map((conflict) => conflict.key)).toEqual([rows[1]!.key]);

    const kept = JSON.parse((await cli('import', exportFile, '--cache', target, '--on-conflict', 'keep', '--format', 'json')).stdout) as ImportJson;
    expect(kept).toMatchObject({ entries: 7, added: 2, kept: 1, replaced: 0, unchanged: 4, refused: false });
    expect(outputOf(target)).toBe('{"content":"our own answer"}');
    expect(rowsOf(target)).toHaveLength(7);
    expectCommittable(target);

    const replaced = JSON.parse((await cli('import', exportFile, '--cache', pristine, '--on-conflict', 'replace', '--format', 'json')).stdout) as ImportJson;
    expect(replaced).toMatchObject({ added: 2, replaced: 1, kept: 0, unchanged: 4 });
    expect(outputOf(pristine)).toBe('{"content":"the second time"}');
    expect(rowsOf(pristine)).toEqual(rowsOf(source).filter((row) => row.org === 'default'));
  });

  it('refuses a tampered row (params changed, key not): names the line, the key and the computed key; changes nothing', async () => {
    const dir = tempDir();
    const source = join(dir, 'source.sqlite');
    seedCache(source, varied);
    const lines = (await cli('export', '--cache', source)).stdout.trimEnd().split('\n');
    const tampered = JSON.parse(lines[2]!) as { key: string; bot_id: string; bot_version: string; action_type: string; occurrence: number; params: Record<string, unknown> };
    tampered.params = { ...tampered.params, injected: 'a changed prompt' };
    lines[2] = JSON.stringify(tampered);
    const file = join(dir, 'tampered.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const computed = replayKey({
      bot_id: tampered.bot_id,
      bot_updated_at: tampered.bot_version,
      action_type: tampered.action_type,
      parameters: tampered.params,
      occurrence: tampered.occurrence,
    });

    // Into a new file: refused, and the file is not even created.
    const fresh = join(dir, 'fresh.sqlite');
    const refused = await cli('import', file, '--cache', fresh);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Import refused, nothing changed: 1 of 7 lines');
    expect(refused.stderr).toContain(`line 3 (key ${tampered.key}): its key does not match its fields: they hash to ${computed}`);
    expect(existsSync(fresh)).toBe(false);

    // Into an existing cache: not a byte changed, not even the rows before the tampered line.
    const target = join(dir, 'target.sqlite');
    seedCache(target, [varied[7]!]);
    const hash = fileHash(target);
    const report = JSON.parse((await cli('import', file, '--cache', target, '--format', 'json')).stdout) as ImportJson;
    expect(report).toMatchObject({ refused: true, wrote: false, fault_count: 1, added: 0 });
    expect(report.faults).toEqual([{ line: 3, key: tampered.key, computed_key: computed, problem: expect.stringContaining('does not match') }]);
    expect(fileHash(target)).toBe(hash);
    expectCommittable(target);
  });

  it('refuses lines of another org, lines that are not entries, and fields the cache has no column for', async () => {
    const dir = tempDir();
    const source = join(dir, 'source.sqlite');
    seedCache(source, varied);
    const exportFile = join(dir, 'export.jsonl');
    await cli('export', exportFile, '--cache', source);
    const target = join(dir, 'target.sqlite');

    const otherOrg = await cli('import', exportFile, '--cache', target, '--org', 'acme');
    expect(otherOrg.code).toBe(1);
    expect(otherOrg.stderr).toContain('line 1');
    expect(otherOrg.stderr).toContain('it is an entry of org "default", and this import is into org "acme" (--org)');

    const lines = readFileSync(exportFile, 'utf8').trimEnd().split('\n');
    const withField = JSON.stringify({ ...(JSON.parse(lines[0]!) as object), reviewer: 'someone' });
    writeFileSync(join(dir, 'bad.jsonl'), `${withField}\nnot json\n\n[1,2]\n`);
    const bad = JSON.parse((await cli('import', join(dir, 'bad.jsonl'), '--cache', target, '--format', 'json')).stdout) as ImportJson;
    expect(bad.fault_count).toBe(3);
    expect(bad.faults.map((fault) => [fault.line, fault.problem.split(' (')[0]])).toEqual([
      [1, 'it has a field "reviewer" that this cache has no column for'],
      [2, 'it is not JSON'],
      [4, 'it is an array, not an entry object'],
    ]);
    expect(existsSync(target)).toBe(false);
  });

  it('never writes into a file that is not a rehearse cache', async () => {
    const dir = tempDir();
    const source = join(dir, 'source.sqlite');
    seedCache(source, varied);
    const exportFile = join(dir, 'export.jsonl');
    await cli('export', exportFile, '--cache', source);

    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a database at all, but a long enough text to look like a file'.repeat(20));
    const foreign = join(dir, 'other.sqlite');
    const db = new Database(foreign);
    db.exec('CREATE TABLE todo (id INTEGER PRIMARY KEY, title TEXT)');
    db.close();
    for (const path of [text, foreign]) {
      const hash = fileHash(path);
      const result = await cli('import', exportFile, '--cache', path);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Cannot use the cache file ${path}`);
      expect(fileHash(path)).toBe(hash);
    }
    const missing = await cli('import', join(dir, 'nope.jsonl'), '--cache', join(dir, 'c.sqlite'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
  });
});

describe('rehearse cache import of entries holding secrets', () => {
  it('stores them redacted, under the key of the redacted request, and says how many', async () => {
    const dir = tempDir();
    const secretRow = cacheRow({ bot: 'leaky-bot', params: { q: 'call with sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX please' }, output: { content: 'used sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX' } });
    const cleanRow = cacheRow({ bot: 'leaky-bot', params: { q: 'nothing secret' } });
    const source = join(dir, 'source.sqlite');
    writeRows(source, [secretRow, cleanRow]);
    const exported = (await cli('export', '--cache', source)).stdout;
    const target = join(dir, 'target.sqlite');
    const imported = JSON.parse((await rehearse(['cache', 'import', '-', '--cache', target, '--format', 'json'], { stdin: exported })).stdout) as ImportJson & { redacted: number };
    expect(imported).toMatchObject({ entries: 2, added: 2, redacted: 1 });
    const rows = rowsOf(target);
    expect(JSON.stringify(rows)).not.toContain('sk-proj-');
    const redacted = rows.find((row) => String(row.params).includes('[REDACTED]'))!;
    expect(redacted.key).toBe(cacheRow({ bot: 'leaky-bot', params: { q: 'call with [REDACTED] please' } }).key);
    expect(redacted.redacted).toBe(1);
    expect((await cli('verify', '--cache', target)).code).toBe(0);
  });
});
