import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { memorySearchAction } from '../../src/actions/memory.js';
import type { LiveContext } from '../../src/actions/types.js';
import type { MemorySearchOutput, MemorySearchParams } from '../../src/actions/builtin-types.js';
import { defineBot, invoke } from '../../src/index.js';
import { indexDataset } from '../../src/live/memory/dataset-index.js';
import { memoryStore, type MemoryStore } from '../../src/live/memory/store.js';
import { closeStateDatabase, openStateDatabase } from '../../src/state/database.js';
import { tempDir } from '../support/temp.js';

const repoRoot = resolve(import.meta.dirname, '../..');

afterEach(() => closeStateDatabase());

interface Project {
  root: string;
  dir: string;
  write(name: string, content: string): void;
  live(datasets: string[], org?: string): LiveContext;
  store(): MemoryStore;
}

/** A project folder with a datasets folder and a state file, and live contexts (one per invocation) on it. */
function project(): Project {
  const root = tempDir();
  const dir = join(root, 'fixtures/datasets');
  mkdirSync(dir, { recursive: true });
  const statePath = join(root, '.rehearse/state.sqlite');
  return {
    root,
    dir,
    write: (name, content) => writeFileSync(join(dir, name), content),
    live: (datasets, org = 'default') => ({
      signal: new AbortController().signal,
      env: {},
      warn() {},
      org,
      settings: { root, statePath, datasetsDir: dir, datasets, prices: {}, llm: { retries: 0, timeoutMs: 1000, providers: {} } },
      sandbox: () => Promise.resolve(root),
      onClose() {},
      emitDelta() {},
    }),
    store: () => memoryStore(openStateDatabase(statePath)),
  };
}

async function search(live: LiveContext, params: MemorySearchParams): Promise<MemorySearchOutput> {
  return (await memorySearchAction.run!(memorySearchAction.validate!(params), live)).output;
}

/** Every document of a dataset namespace, by id. */
function documents(store: MemoryStore, slug: string, org = 'default'): Record<string, { text: string; metadata: unknown }> {
  const rows = store.db
    .prepare<[string, string], { id: string; text: string; metadata: string }>('SELECT id, text, metadata FROM memory_documents WHERE org = ? AND namespace = ? ORDER BY doc')
    .all(org, `dataset:${slug}`);
  return Object.fromEntries(rows.map((row) => [row.id, { text: row.text, metadata: JSON.parse(row.metadata) }]));
}

const index = (p: Project, slug: string, org = 'default') => indexDataset(p.store(), org, slug, { dir: p.dir, root: p.root });

describe('dataset formats', () => {
  it('jsonl: text, optional id, every other field as metadata', () => {
    const p = project();
    p.write(
      'faq.jsonl',
      [
        JSON.stringify({ id: 'ship-1', text: 'We ship worldwide.', category: 'shipping', tags: ['intl'] }),
        '',
        JSON.stringify({ text: 'Returns are free.', score: 0.9 }),
        JSON.stringify({ id: 42, text: 'Numeric ids become strings.' }),
      ].join('\n') + '\n',
    );
    expect(index(p, 'faq')).toMatchObject({ indexed: true, namespace: 'dataset:faq', state: { file: 'faq.jsonl', documents: 3 } });
    expect(documents(p.store(), 'faq')).toEqual({
      'ship-1': { text: 'We ship worldwide.', metadata: { category: 'shipping', tags: ['intl'] } },
      'line-3': { text: 'Returns are free.', metadata: { score: 0.9 } },
      '42': { text: 'Numeric ids become strings.', metadata: {} },
    });
  });

  it('jsonl: a line without text, or not JSON, is an error naming the line', () => {
    const p = project();
    p.write('bad.jsonl', `${JSON.stringify({ text: 'fine' })}\n${JSON.stringify({ body: 'no text here' })}\n`);
    expect(() => index(p, 'bad')).toThrow(/fixtures\/datasets\/bad\.jsonl \(line 2\): the object has no "text"/);
    p.write('bad.jsonl', `${JSON.stringify({ text: 'fine' })}\n\n{"text": "oops",\n`);
    expect(() => index(p, 'bad')).toThrow(/\(line 3\): it is not valid JSON/);
    p.write('bad.jsonl', `{"text": "one", "id": "x"}\n{"text": "two", "id": "x"}\n`);
    expect(() => index(p, 'bad')).toThrow(/\(line 2\): the id "x" is used twice \(first on line 1\)/);
    try {
      index(p, 'bad');
    } catch (error) {
      expect(error).toMatchObject({ code: 'DATASET_INVALID', line: 2 });
    }
  });

  it('csv: quoted fields with commas, doubled quotes and line breaks; a text column; other columns as metadata', () => {
    const p = project();
    p.write(
      'products.csv',
      '\uFEFFid,title,text,price\r\n' +
        'p1,"Kettle, steel","The ""Classic"" kettle boils 1.7 litres, fast.",29.90\r\n' +
        'p2,Toaster,"Two slots.\nDefrost and reheat settings.",19.00\r\n' +
        '\r\n' +
        ',Mug,"A mug with a ""handle""",4.50\r\n',
    );
    index(p, 'products');
    expect(documents(p.store(), 'products')).toEqual({
      p1: { text: 'The "Classic" kettle boils 1.7 litres, fast.', metadata: { title: 'Kettle, steel', price: '29.90' } },
      p2: { text: 'Two slots.\nDefrost and reheat settings.', metadata: { title: 'Toaster', price: '19.00' } },
      'row-3': { text: 'A mug with a "handle"', metadata: { title: 'Mug', price: '4.50' } },
    });
  });

  it('csv: without a text column, every column is joined into the text', () => {
    const p = project();
    p.write('stores.csv', 'city,address\nBerlin,"Unter den Linden 1, 10117"\nParis,"1 Rue de Rivoli"\n');
    index(p, 'stores');
    expect(documents(p.store(), 'stores')).toEqual({
      'row-1': { text: 'Berlin\nUnter den Linden 1, 10117', metadata: { city: 'Berlin', address: 'Unter den Linden 1, 10117' } },
      'row-2': { text: 'Paris\n1 Rue de Rivoli', metadata: { city: 'Paris', address: '1 Rue de Rivoli' } },
    });
  });

  it('csv: a row with the wrong number of fields, or an unclosed quote, is an error naming the line', () => {
    const p = project();
    p.write('bad.csv', 'id,text\n1,fine\n2,not quoted, has a comma\n');
    expect(() => index(p, 'bad')).toThrow(/\(line 3\): the row has 3 fields but the header has 2/);
    p.write('bad.csv', 'id,text\n1,fine\n2,"never closed\n3,more\n');
    expect(() => index(p, 'bad')).toThrow(/\(line 3\): a quoted field is never closed/);
  });

  it('md: one document per # or ## section, the heading in metadata.title', () => {
    const p = project();
    p.write(
      'guide.md',
      [
        '---',
        'title: ignored front matter',
        '---',
        'Welcome to the guide.',
        '',
        '# Guide',
        '',
        '## Getting started',
        'Install the app.',
        '',
        '### Details stay inside their section',
        'Sign in with your email.',
        '',
        '```bash',
        '# not a heading: a comment in a code block',
        'npm install',
        '```',
        '## Getting started',
        'A second section with the same title.',
        '##   Billing   ##',
        'Invoices are monthly.',
      ].join('\n'),
    );
    index(p, 'guide');
    const docs = documents(p.store(), 'guide');
    expect(Object.keys(docs)).toEqual(['section-1', 'getting-started', 'getting-started-2', 'billing']);
    expect(docs['section-1']).toEqual({ text: 'Welcome to the guide.', metadata: {} });
    expect(docs['getting-started']?.metadata).toEqual({ title: 'Getting started' });
    expect(docs['getting-started']?.text).toContain('### Details stay inside their section');
    expect(docs['getting-started']?.text).toContain('# not a heading: a comment in a code block');
    expect(docs['getting-started']?.text.startsWith('Getting started\n\nInstall the app.')).toBe(true);
    expect(docs.billing).toEqual({ text: 'Billing\n\nInvoices are monthly.', metadata: { title: 'Billing' } });
  });

  it('md: the acme-help fixture gives one document per help article', () => {
    const p = project();
    copyFileSync(join(repoRoot, 'fixtures/datasets/acme-help.md'), join(p.dir, 'acme-help.md'));
    const result = index(p, 'acme-help');
    const docs = documents(p.store(), 'acme-help');
    expect(result.state.documents).toBeGreaterThanOrEqual(10);
    expect(Object.keys(docs)).toEqual(expect.arrayContaining(['refunds', 'double-charges', 'shipping-times', 'password-reset', 'deleting-your-account']));
  });

  it('txt: one document per blank-line-separated paragraph', () => {
    const p = project();
    p.write('notes.txt', 'First paragraph,\nstill the first.\n\n\n   \nSecond paragraph.\r\n\r\nThird.\n');
    index(p, 'notes');
    expect(documents(p.store(), 'notes')).toEqual({
      'paragraph-1': { text: 'First paragraph,\nstill the first.', metadata: {} },
      'paragraph-2': { text: 'Second paragraph.', metadata: {} },
      'paragraph-3': { text: 'Third.', metadata: {} },
    });
  });
});

describe('indexing', () => {
  it('indexes once, and again only when the file changes', async () => {
    const p = project();
    p.write('faq.txt', 'Refunds take five days.\n\nShipping takes three days.\n');
    const first = p.live(['faq']);
    expect((await search(first, { query: 'refunds' })).results.map((r) => r.id)).toEqual(['paragraph-1']);
    const indexedAt = p.store().datasetState('default', 'faq')?.indexedAt;
    expect(indexedAt).toBeDefined();

    // Another invocation, same file: nothing is indexed again.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await search(p.live(['faq']), { query: 'shipping' });
    expect(index(p, 'faq').indexed).toBe(false);
    expect(p.store().datasetState('default', 'faq')?.indexedAt).toBe(indexedAt);

    // The file changes: the next invocation re-indexes, and the old documents are gone.
    p.write('faq.txt', 'Exchanges are free within a month.\n');
    const later = p.live(['faq']);
    expect((await search(later, { query: 'refunds shipping' })).results).toEqual([]);
    expect((await search(later, { query: 'exchanges' })).results.map((r) => r.text)).toEqual(['Exchanges are free within a month.']);
    expect(p.store().datasetState('default', 'faq')).toMatchObject({ documents: 1 });
    expect(p.store().datasetState('default', 'faq')?.indexedAt).not.toBe(indexedAt);
    expect(p.store().count('default', 'dataset:faq')).toBe(1);
  });

  it('checks a dataset once per invocation, not on every action', async () => {
    const p = project();
    p.write('faq.txt', 'Refunds take five days.\n');
    const live = p.live(['faq']);
    await search(live, { query: 'refunds' });
    // Changed during the invocation: this invocation keeps what it started with.
    p.write('faq.txt', 'Completely different.\n');
    expect((await search(live, { query: 'refunds' })).results).toHaveLength(1);
    expect((await search(p.live(['faq']), { query: 'refunds' })).results).toHaveLength(0);
  });

  it('indexes a dataset separately for each org', async () => {
    const p = project();
    p.write('faq.txt', 'Refunds take five days.\n');
    await search(p.live(['faq'], 'acme'), { query: 'refunds' });
    expect(p.store().count('acme', 'dataset:faq')).toBe(1);
    expect(p.store().count('globex', 'dataset:faq')).toBe(0);
    expect((await search(p.live(['faq'], 'globex'), { query: 'refunds' })).results).toHaveLength(1);
  });

  it('many processes indexing the same dataset at once index it exactly once', async () => {
    const p = project();
    const lines = Array.from({ length: 3000 }, (_, n) => JSON.stringify({ id: `doc-${n}`, text: `Document ${n} about refunds and parcel ${n % 97}.` }));
    p.write('big.jsonl', `${lines.join('\n')}\n`);
    const script = `
      import { openStateDatabase } from ${JSON.stringify(join(repoRoot, 'src/state/database.ts'))};
      import { memoryStore } from ${JSON.stringify(join(repoRoot, 'src/live/memory/store.ts'))};
      import { indexDataset } from ${JSON.stringify(join(repoRoot, 'src/live/memory/dataset-index.ts'))};
      const store = memoryStore(openStateDatabase(${JSON.stringify(join(p.root, '.rehearse/state.sqlite'))}));
      const result = indexDataset(store, 'default', 'big', { dir: ${JSON.stringify(p.dir)}, root: ${JSON.stringify(p.root)} });
      console.log(JSON.stringify({ indexed: result.indexed }));
    `;
    const file = join(p.root, 'index-big.mts');
    writeFileSync(file, script);
    const run = promisify(execFile);
    const outputs = await Promise.all(Array.from({ length: 4 }, () => run(process.execPath, ['--import', 'tsx', file], { cwd: repoRoot })));
    const indexed = outputs.map((output) => (JSON.parse(output.stdout) as { indexed: boolean }).indexed);
    expect(indexed.filter(Boolean)).toHaveLength(1);

    const store = p.store();
    expect(store.count('default', 'dataset:big')).toBe(3000);
    expect(() => store.db.exec("INSERT INTO memory_fts (memory_fts, rank) VALUES ('integrity-check', 1)")).not.toThrow();
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
  }, 60_000);
});

describe('dataset slugs and files', () => {
  it('refuses slugs that could leave the datasets folder', async () => {
    const p = project();
    for (const slug of ['../etc/passwd', 'a/b', '.hidden', 'a.b', '', 'x'.repeat(65)]) {
      await expect(search(p.live([slug]), { query: 'anything' })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/not a valid slug/) });
      expect(() => index(p, slug)).toThrow(/not a valid slug/);
    }
  });

  it('through invoke(), a traversal slug is refused before the bot runs', async () => {
    const bot = defineBot({ key: 'slug-bot', version: 'v1', run: () => 'ran' });
    await expect(invoke(bot, { mode: 'live', datasets: ['../etc/passwd'], cwd: tempDir(), env: {} })).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('an unknown slug lists the datasets that exist, and the folder', async () => {
    const p = project();
    p.write('faq.jsonl', '{"text": "x"}\n');
    p.write('products.csv', 'text\ny\n');
    p.write('README', 'not a dataset');
    p.write('.hidden.md', '# not listed');
    const error = await search(p.live(['prodcts']), { query: 'x' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'DATASET_NOT_FOUND',
      slug: 'prodcts',
      available: ['faq', 'products'],
      message: 'No dataset "prodcts" in fixtures/datasets. Available datasets: faq, products.',
    });
    expect((error as { hint: string }).hint).toContain('fixtures/datasets/<slug>.jsonl, .csv, .md or .txt');
  });

  it('a missing datasets folder says so', () => {
    const root = tempDir();
    expect(() => indexDataset(memoryStore(openStateDatabase(join(root, 'state.sqlite'))), 'default', 'faq', { dir: join(root, 'nope'), root })).toThrow(
      /No dataset "faq": the folder nope does not exist\. Available datasets: \(none\)\./,
    );
  });

  it('a slug with two files is an error naming both', () => {
    const p = project();
    p.write('faq.md', '# FAQ\nSomething.\n');
    p.write('faq.txt', 'Something else.\n');
    expect(() => index(p, 'faq')).toThrow(/has more than one file \(faq\.md and faq\.txt\)/);
  });
});
