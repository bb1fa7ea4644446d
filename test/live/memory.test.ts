import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryAddAction, memorySearchAction } from '../../src/actions/memory.js';
import type { LiveContext } from '../../src/actions/types.js';
import type { MemoryAddParams, MemorySearchOutput, MemorySearchParams } from '../../src/actions/builtin-types.js';
import { defineBot, invoke } from '../../src/index.js';
import { closeStateDatabase, openStateDatabase } from '../../src/state/database.js';
import { tempDir } from '../support/temp.js';

const repoDatasets = resolve(import.meta.dirname, '../../fixtures/datasets');

afterEach(() => closeStateDatabase());

/** A live context by hand: one invocation of `org`, its state file and datasets folder in `root`. */
function liveContext(root: string, fields: { org?: string; datasets?: string[]; datasetsDir?: string } = {}): LiveContext {
  return {
    signal: new AbortController().signal,
    env: {},
    warn() {},
    org: fields.org ?? 'default',
    settings: {
      root,
      statePath: join(root, '.rehearse/state.sqlite'),
      datasetsDir: fields.datasetsDir ?? join(root, 'fixtures/datasets'),
      datasets: fields.datasets ?? [],
      prices: {},
      llm: { retries: 0, timeoutMs: 1000, providers: {} },
    },
    sandbox: () => Promise.resolve(root),
    onClose() {},
    emitDelta() {},
  };
}

async function search(live: LiveContext, params: MemorySearchParams): Promise<MemorySearchOutput> {
  return (await memorySearchAction.run!(memorySearchAction.validate!(params), live)).output;
}

async function add(live: LiveContext, params: MemoryAddParams): Promise<string> {
  return (await memoryAddAction.run!(memoryAddAction.validate!(params), live)).output.id;
}

const ids = (output: MemorySearchOutput) => output.results.map((result) => result.id);

const corpus: MemoryAddParams[] = [
  { id: 'refunds', text: 'Refunds are paid to the original card within five business days of receiving the return.' },
  { id: 'shipping', text: 'Standard shipping takes three to five business days; express shipping arrives the next day.' },
  { id: 'password', text: 'To reset your password, use the forgot password link on the sign-in page.' },
  { id: 'double-charge', text: 'A double charge is a pre-authorisation: the bank releases the second charge, and we refund it if it stays.' },
  { id: 'cookies', text: 'We bake cookies on Fridays. Nothing to do with payments.' },
];

async function seeded(root = tempDir(), org = 'default'): Promise<LiveContext> {
  const live = liveContext(root, { org });
  for (const document of corpus) await add(live, document);
  return live;
}

describe('memory.search ranking', () => {
  it('ranks the most relevant document first, scores positive and descending', async () => {
    const live = await seeded();
    const found = await search(live, { query: 'how do I reset my password' });
    expect(ids(found)[0]).toBe('password');
    expect(ids(found)).toHaveLength(1);

    const refund = await search(live, { query: 'refund for a double charge' });
    expect(ids(refund)[0]).toBe('double-charge');
    expect(ids(refund)).toContain('refunds'); // stemming: "refund" matches "Refunds"
    const scores = refund.results.map((result) => result.score);
    expect(scores.every((score) => score > 0)).toBe(true);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('returns the full document: id, text, score, metadata, snippet, namespace', async () => {
    const live = await seeded();
    const [result] = (await search(live, { query: 'shipping' })).results;
    expect(result).toEqual({
      id: 'shipping',
      text: corpus[1]!.text,
      score: expect.any(Number),
      metadata: {},
      snippet: expect.any(String),
      namespace: 'default',
    });
  });

  it('marks the matched words in the snippet with [ ] and cuts long texts with …', async () => {
    const live = liveContext(tempDir());
    const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore';
    await add(live, { id: 'long', text: `${filler} ${filler} The warehouse ships parcels daily. ${filler} ${filler}` });
    const [result] = (await search(live, { query: 'warehouse parcels' })).results;
    const snippet = result?.snippet ?? '';
    expect(snippet).toMatch(/\[warehouse\] ships \[parcels\]/);
    expect(snippet.startsWith('…')).toBe(true);
    expect(snippet.endsWith('…')).toBe(true);
    expect(snippet.length).toBeLessThan(result!.text.length);
  });

  it('honours limit (5 by default, 50 at most)', async () => {
    const live = liveContext(tempDir());
    for (let index = 0; index < 60; index++) await add(live, { id: `d${index}`, text: `order number ${index} was delivered` });
    expect((await search(live, { query: 'delivered' })).results).toHaveLength(5);
    expect((await search(live, { query: 'delivered', limit: 2 })).results).toHaveLength(2);
    expect((await search(live, { query: 'delivered', limit: 50 })).results).toHaveLength(50);
  });

  it('never throws on punctuation, quotes or FTS5 syntax in a query', async () => {
    const live = await seeded();
    const queries = [
      "what's up?",
      'refund???',
      '"unbalanced quote',
      'AND OR NOT',
      'NEAR(refund shipping, 2)',
      'password*',
      '^start',
      'col:value',
      'C++ (or C#)',
      "'; DROP TABLE memory_documents; --",
      '...',
      '¿Dónde está mi reembolso?',
      '🤖 refund 🤖',
      '-refund +shipping',
      '{refund}',
    ];
    for (const query of queries) await expect(search(live, { query })).resolves.toBeDefined();
    expect(ids(await search(live, { query: 'password*' }))).toEqual(['password']);
    expect(ids(await search(live, { query: '...' }))).toEqual([]);
    expect(ids(await search(live, { query: '🤖 refund 🤖' }))[0]).toBe('refunds');
  });

  it('finds its own documents even when another org holds many better matches', async () => {
    const root = tempDir();
    const other = liveContext(root, { org: 'other' });
    for (let index = 0; index < 40; index++) await add(other, { id: `o${index}`, text: 'invoice invoice invoice' });
    const mine = liveContext(root, { org: 'mine' });
    await add(mine, { id: 'mine', text: 'Where to find an invoice for an order placed last year, and other questions.' });
    expect(ids(await search(mine, { query: 'invoice' }))).toEqual(['mine']);
    expect(ids(await search(other, { query: 'invoice', limit: 50 }))).toHaveLength(40);
  });
});

describe('memory.add', () => {
  it('keeps metadata as given and returns it with each result', async () => {
    const live = liveContext(tempDir());
    const metadata = { source: 'faq', tags: ['billing', 'cards'], priority: 2, nested: { reviewed: true, by: null } };
    await add(live, { id: 'meta', text: 'Invoices are emailed after every payment.', metadata });
    expect((await search(live, { query: 'invoices' })).results[0]?.metadata).toEqual(metadata);
  });

  it('makes an id when none is given', async () => {
    const live = liveContext(tempDir());
    const first = await add(live, { text: 'First note about gift cards.' });
    const second = await add(live, { text: 'Second note about gift cards.' });
    expect(first).toMatch(/^mem_/);
    expect(second).not.toBe(first);
    expect(ids(await search(live, { query: 'gift cards' })).sort()).toEqual([first, second].sort());
  });

  it('replaces the document with the same id', async () => {
    const live = liveContext(tempDir());
    await add(live, { id: 'hours', text: 'The shop opens at nine.', metadata: { version: 1 } });
    await add(live, { id: 'hours', text: 'The shop opens at ten on Sundays.', metadata: { version: 2 } });
    expect(ids(await search(live, { query: 'nine' }))).toEqual([]);
    const found = await search(live, { query: 'shop opens' });
    expect(found.results).toHaveLength(1);
    expect(found.results[0]).toMatchObject({ id: 'hours', text: 'The shop opens at ten on Sundays.', metadata: { version: 2 } });
  });
});

describe('scoping', () => {
  it('one org never sees another org’s documents, even with the same ids', async () => {
    const root = tempDir();
    const acme = liveContext(root, { org: 'acme' });
    const globex = liveContext(root, { org: 'globex' });
    await add(acme, { id: 'policy', text: 'Acme refunds within five days.' });
    await add(globex, { id: 'policy', text: 'Globex refunds within thirty days.' });
    await add(globex, { id: 'secret', text: 'Globex internal refunds escalation list.' });

    const seenByAcme = await search(acme, { query: 'refunds', limit: 50 });
    expect(seenByAcme.results.map((result) => result.text)).toEqual(['Acme refunds within five days.']);
    expect(ids(await search(acme, { query: 'globex escalation' }))).toEqual([]);
    expect(ids(await search(globex, { query: 'refunds' })).sort()).toEqual(['policy', 'secret']);
  });

  it('searches only the namespaces it names', async () => {
    const live = liveContext(tempDir());
    await add(live, { id: 'a', text: 'Alpha team handles refunds.', namespace: 'team:alpha' });
    await add(live, { id: 'b', text: 'Beta team handles refunds.', namespace: 'team:beta' });
    await add(live, { id: 'c', text: 'Everyone handles refunds.' });

    expect(ids(await search(live, { query: 'refunds', namespace: 'team:alpha' }))).toEqual(['a']);
    expect(ids(await search(live, { query: 'refunds', namespace: 'team:beta' }))).toEqual(['b']);
    expect(ids(await search(live, { query: 'refunds' }))).toEqual(['c']);
    const both = await search(live, { query: 'refunds', namespace: ['team:alpha', 'team:beta'] });
    expect(ids(both).sort()).toEqual(['a', 'b']);
    expect(both.results.map((result) => result.namespace).sort()).toEqual(['team:alpha', 'team:beta']);
  });

  it('without a namespace, searches default and every dataset of the invocation', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'fixtures/datasets'), { recursive: true });
    copyFileSync(join(repoDatasets, 'acme-help.md'), join(root, 'fixtures/datasets/acme-help.md'));
    writeFileSync(join(root, 'fixtures/datasets/notes.txt'), 'Our refund desk is on the second floor.\n');
    const live = liveContext(root, { datasets: ['acme-help'] });
    await add(live, { id: 'mine', text: 'Note to self: refund order A-1187 twice charged.' });
    await add(live, { id: 'elsewhere', text: 'A refund note in another namespace.', namespace: 'scratch' });

    const found = await search(live, { query: 'refund', limit: 50 });
    const namespaces = new Set(found.results.map((result) => result.namespace));
    expect(namespaces).toEqual(new Set(['default', 'dataset:acme-help']));
    expect(ids(found)).toContain('mine');
    expect(ids(found)).toContain('refunds');
    expect(ids(found)).not.toContain('elsewhere');
    // A dataset the invocation does not name is not searched by default.
    expect(ids(found)).not.toContain('paragraph-1');

    const onlyHelp = await search(live, { query: 'charged twice', namespace: 'dataset:acme-help' });
    expect(onlyHelp.results[0]).toMatchObject({ id: 'double-charges', namespace: 'dataset:acme-help', metadata: { title: 'Double charges' } });
    // Naming a dataset's namespace indexes it, even when the invocation does not list it.
    expect(ids(await search(live, { query: 'refund desk', namespace: 'dataset:notes' }))).toEqual(['paragraph-1']);
  });
});

describe('params', () => {
  const searchError = (params: unknown) => () => memorySearchAction.validate!(params);
  const addError = (params: unknown) => () => memoryAddAction.validate!(params);

  it('refuses bad memory.search params with a clear message', () => {
    expect(searchError({ query: '' })).toThrow(/"query" is empty/);
    expect(searchError({ query: '   ' })).toThrow(/"query" is empty/);
    expect(searchError({})).toThrow(/"query" must be a string/);
    expect(searchError('refunds')).toThrow(/params must be an object/);
    expect(searchError({ query: 'x', limit: 0 })).toThrow(/"limit" must be a whole number from 1 to 50/);
    expect(searchError({ query: 'x', limit: 51 })).toThrow(/"limit"/);
    expect(searchError({ query: 'x', limit: 2.5 })).toThrow(/"limit"/);
    expect(searchError({ query: 'x', namspace: 'a' })).toThrow(/unknown field "namspace"; the fields are query, namespace, limit/);
    expect(searchError({ query: 'x', namespace: '' })).toThrow(/"namespace" must be a name/);
    expect(searchError({ query: 'x', namespace: [] })).toThrow(/1 to 20 namespaces/);
    expect(searchError({ query: 'x', namespace: 'dataset:../etc' })).toThrow(/not a valid slug/);
    try {
      searchError({ query: '' })();
    } catch (error) {
      expect(error).toMatchObject({ code: 'ACTION_PARAMS_INVALID' });
    }
  });

  it('refuses bad memory.add params with a clear message', () => {
    expect(addError({ text: '' })).toThrow(/"text" is empty/);
    expect(addError({ text: 42 })).toThrow(/"text" must be a string/);
    expect(addError({ text: 'x', id: '' })).toThrow(/"id" must be a non-empty string/);
    expect(addError({ text: 'x', id: 7 })).toThrow(/"id" must be a non-empty string/);
    expect(addError({ text: 'x', metadata: [] })).toThrow(/"metadata" must be a JSON object/);
    expect(addError({ text: 'x', metadata: { big: 'y'.repeat(70_000) } })).toThrow(/larger than 64 KB/);
    expect(addError({ text: 'x', namespace: 'dataset:acme-help' })).toThrow(/dataset namespaces hold their file's documents only/);
    expect(addError({ text: 'x', title: 'y' })).toThrow(/unknown field "title"/);
  });
});

describe('the state file', () => {
  it('is created with its folder, in WAL mode, and tagged as a rehearse state file', async () => {
    const root = tempDir();
    const live = liveContext(root);
    await add(live, { text: 'hello' });
    const db = openStateDatabase(live.settings.statePath);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.prepare("SELECT version FROM state_schema WHERE feature = 'memory'").get()).toEqual({ version: 1 });
    // One connection per path per process.
    expect(openStateDatabase(join(root, '.rehearse/../.rehearse/state.sqlite'))).toBe(db);
  });

  it('refuses a file that is not SQLite, and leaves it as it was', async () => {
    const root = tempDir();
    const live = liveContext(root);
    mkdirSync(join(root, '.rehearse'));
    writeFileSync(live.settings.statePath, 'these are my notes, not a database\n'.repeat(200));
    const before = readFileSync(live.settings.statePath);
    await expect(add(live, { text: 'hello' })).rejects.toMatchObject({ code: 'STATE_FILE_INVALID', message: expect.stringMatching(/not a SQLite database/) });
    expect(readFileSync(live.settings.statePath).equals(before)).toBe(true);
  });

  it('refuses a SQLite file of something else (the replay cache, say)', async () => {
    const root = tempDir();
    const live = liveContext(root);
    mkdirSync(join(root, '.rehearse'));
    const other = new Database(live.settings.statePath);
    other.exec('CREATE TABLE entries (org TEXT, key TEXT)');
    other.close();
    await expect(search(live, { query: 'x' })).rejects.toMatchObject({
      code: 'STATE_FILE_INVALID',
      message: expect.stringMatching(/not a rehearse state file \(tables: entries\)/),
    });
  });

  it('refuses memory tables made by a newer rehearse', async () => {
    const root = tempDir();
    const live = liveContext(root);
    mkdirSync(join(root, '.rehearse'));
    const newer = new Database(live.settings.statePath);
    newer.exec("CREATE TABLE state_schema (feature TEXT PRIMARY KEY, version INTEGER NOT NULL); INSERT INTO state_schema VALUES ('memory', 99)");
    newer.close();
    await expect(add(live, { text: 'hello' })).rejects.toMatchObject({
      code: 'STATE_FILE_INVALID',
      message: expect.stringMatching(/"memory" tables were made by a newer rehearse \(version 99; this one knows up to 1\)/),
    });
  });

  it('is reopened when it was deleted underneath a running process', async () => {
    const root = tempDir();
    const live = liveContext(root);
    await add(live, { id: 'one', text: 'first life' });
    rmSync(join(root, '.rehearse'), { recursive: true, force: true });
    await add(live, { id: 'two', text: 'second life' });
    expect(ids(await search(live, { query: 'life' }))).toEqual(['two']);
  });
});

describe('through invoke()', () => {
  it('a bot searches a dataset and its own memory in live mode', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'fixtures/datasets'), { recursive: true });
    copyFileSync(join(repoDatasets, 'acme-help.md'), join(cwd, 'fixtures/datasets/acme-help.md'));
    const bot = defineBot({
      key: 'memory-bot',
      version: 'v1',
      async run(input, ctx) {
        await ctx.memory.add({ id: 'vip', text: 'VIP customers get refunds the same day.', metadata: { tier: 'vip' } });
        const found = await ctx.memory.search({ query: input.prompt, limit: 5 });
        return found.results.map((result) => `${result.namespace}/${result.id}`);
      },
    });
    const result = await invoke(bot, { mode: 'live', datasets: ['acme-help'], cwd, env: {}, input: 'Do VIP customers get their refunds faster?' });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('completed');
    const output = result.result.output as string[];
    expect(output).toHaveLength(5);
    expect(output[0]).toBe('default/vip');
    expect(output).toContain('dataset:acme-help/refunds');
    const completed = result.events.filter((event) => event.type === 'action.completed');
    expect(completed.map((event) => [event.action_type, event.status, event.source])).toEqual([
      ['memory.add', 'success', 'live'],
      ['memory.search', 'success', 'live'],
    ]);

    // The state file lives in the project, and a second invocation sees what the first added.
    const again = await invoke(
      defineBot({ key: 'reader', version: 'v1', run: async (_input, ctx) => (await ctx.memory.search({ query: 'VIP' })).results.map((r) => r.id) }),
      { mode: 'live', cwd, env: {} },
    );
    expect(again.result.output).toEqual(['vip']);
  });

  it('an unknown dataset fails the invocation with the available slugs', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'fixtures/datasets'), { recursive: true });
    copyFileSync(join(repoDatasets, 'acme-help.md'), join(cwd, 'fixtures/datasets/acme-help.md'));
    const bot = defineBot({ key: 'lost-bot', version: 'v1', run: (_input, ctx) => ctx.memory.search({ query: 'refund' }) });
    const result = await invoke(bot, { mode: 'live', datasets: ['acme-hlep'], cwd, env: {} });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'DATASET_NOT_FOUND', message: expect.stringContaining('Available datasets: acme-help.') });
  });
});
