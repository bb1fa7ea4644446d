/**
 * What memory.search costs on a large index: 100,000 documents of ~300 characters, then 1-3 word
 * queries. The text is made of sentences like real prose: a third function words ("the", "to"),
 * the rest content words drawn from an 8,000-word vocabulary by a Zipf-Mandelbrot law (the word
 * of rank r with probability ~ 1 / (r + 50): English content words, after the function words), so
 * the most common word is in about one document in eight and most words are rare.
 *
 *   npx tsx test/bench/memory-search.bench.ts
 *   BENCH_DOCS=20000 BENCH_QUERIES=500 npx tsx test/bench/memory-search.bench.ts
 *   BENCH_KEEP=1 npx tsx test/bench/memory-search.bench.ts     (keeps the state file to poke at)
 *
 * Reports the time to index (one transaction), the size of the state file, and p50/p99 latency of
 * searchMemory() (query building + FTS5 BM25 + snippet + rows) and of the whole live executor
 * (memorySearchAction.run: state file lookup, dataset check, the same search). The machine is shared
 * and noisy: treat the figures as an order of magnitude.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memorySearchAction } from '../../src/actions/memory.js';
import type { LiveContext } from '../../src/actions/types.js';
import { searchMemory } from '../../src/live/memory/executor.js';
import { memoryStore, type MemoryDocument } from '../../src/live/memory/store.js';
import { closeStateDatabase, openStateDatabase } from '../../src/state/database.js';

const documentCount = Number(process.env.BENCH_DOCS ?? 100_000);
const queryCount = Number(process.env.BENCH_QUERIES ?? 2000);
const org = 'bench';

/** A small deterministic PRNG (mulberry32), so every run indexes the same corpus. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(42);

const domain = (
  'order orders refund refunds return returns parcel parcels shipping delivery courier tracking invoice invoices payment ' +
  'payments card charge charged account password email address warehouse customer customers product products price discount ' +
  'coupon voucher gift subscription cancel cancelled replacement damaged broken missing late delayed express standard ' +
  'international customs duty label printer kettle toaster laptop phone charger cable headphones jacket shoes size colour ' +
  'exchange warranty repair battery screen keyboard mouse monitor desk chair lamp store branch pickup locker weekend holiday ' +
  'morning evening business days weeks manager support agent chat ticket complaint review rating stock restock supplier ' +
  'pallet container freight insurance claim receipt statement bank transfer paypal balance credit debit currency euro dollar'
).split(' ');
const fillers = 'the a to and of in is for on with your we our it this that be as at by from has was will can'.split(' ');

// The vocabulary: support words first (the most frequent), then made-up words for the long tail.
const syllables = ['ra', 'to', 'ki', 'me', 'lo', 'su', 'an', 'der', 'fin', 'gor', 'pel', 'vis', 'tam', 'bre', 'cou', 'nat', 'ix', 'ul'];
const vocabulary = [...domain];
const seen = new Set(vocabulary);
while (vocabulary.length < 8000) {
  let word = '';
  for (let n = 2 + Math.floor(rand() * 3); n > 0; n--) word += syllables[Math.floor(rand() * syllables.length)];
  if (!seen.has(word)) (seen.add(word), vocabulary.push(word));
}
// Zipf-Mandelbrot: the word of rank r is drawn with probability proportional to 1 / (r + 50).
const cumulative: number[] = [];
let total = 0;
for (let rank = 1; rank <= vocabulary.length; rank++) cumulative.push((total += 1 / (rank + 50)));
function zipfWord(): string {
  const target = rand() * total;
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((cumulative[middle] as number) < target) low = middle + 1;
    else high = middle;
  }
  return vocabulary[low] as string;
}

function sentence(): string {
  const words: string[] = [];
  for (let n = 6 + Math.floor(rand() * 8); n > 0; n--) words.push(rand() < 0.35 ? (fillers[Math.floor(rand() * fillers.length)] as string) : zipfWord());
  const text = words.join(' ');
  return `${text[0]?.toUpperCase()}${text.slice(1)}.`;
}

function documentText(): string {
  let text = sentence();
  while (text.length < 280) text += ` ${sentence()}`;
  return text;
}

function* documents(count: number, prefix: string): Generator<MemoryDocument> {
  for (let index = 0; index < count; index++) {
    yield { id: `${prefix}-${index}`, text: documentText(), metadata: { n: index, source: 'bench' } };
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

function measure(label: string, queries: readonly string[], search: (query: string) => unknown): void {
  for (const query of queries.slice(0, 50)) search(query); // warm-up
  const times: number[] = [];
  for (const query of queries) {
    const started = performance.now();
    search(query);
    times.push((performance.now() - started) * 1000);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((sum, time) => sum + time, 0) / times.length;
  const cell = (value: number) => `${Math.round(value).toLocaleString('en-US')} µs`.padStart(11);
  console.log(`${label.padEnd(52)} p50 ${cell(percentile(times, 0.5))}   p99 ${cell(percentile(times, 0.99))}   mean ${cell(mean)}`);
}

const dir = mkdtempSync(join(tmpdir(), 'rehearse-bench-memory-'));
const statePath = join(dir, 'state.sqlite');
try {
  const db = openStateDatabase(statePath);
  const store = memoryStore(db);

  const corpus = [...documents(documentCount, 'doc')]; // generated first: only indexing is timed
  let started = performance.now();
  const added = store.addMany(org, 'default', corpus);
  const indexSeconds = (performance.now() - started) / 1000;
  // A small namespace in the same index: its searches take the exact path more often.
  store.addMany(org, 'small', documents(1000, 'small'));
  store.addMany('other-org', 'default', documents(5000, 'other'));
  db.pragma('wal_checkpoint(TRUNCATE)');
  const fileBytes = statSync(statePath).size;
  const pages = (name: string) => (db.prepare<[string], { bytes: number | null }>('SELECT sum(pgsize) AS bytes FROM dbstat WHERE name LIKE ?').get(name)?.bytes ?? 0);
  const ftsBytes = pages('memory_fts%');
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  console.log(`memory.search benchmark (SQLite FTS5, BM25, porter stemming)`);
  console.log(`indexed ${added.toLocaleString('en-US')} documents (~${Math.round(corpus.reduce((sum, document) => sum + document.text.length, 0) / corpus.length)} chars) in one transaction: ${indexSeconds.toFixed(2)} s (${Math.round(added / indexSeconds).toLocaleString('en-US')} docs/s)`);
  console.log(`state file: ${mb(fileBytes)} for ${(added + 6000).toLocaleString('en-US')} documents (FTS5 index ${mb(ftsBytes)}, documents table ${mb(pages('memory_documents%'))})`);

  const queries = Array.from({ length: queryCount }, () => {
    const words: string[] = [];
    for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) words.push(zipfWord());
    return words.join(' ');
  });
  const supportQueries = Array.from({ length: queryCount }, () => {
    const words: string[] = [];
    for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) words.push(domain[Math.floor(rand() * domain.length)] as string);
    return words.join(' ');
  });
  const rareQueries = Array.from({ length: queryCount }, () => vocabulary[4000 + Math.floor(rand() * (vocabulary.length - 4000))] as string);

  console.log(`\n${queryCount.toLocaleString('en-US')} searches each, limit 5:`);
  measure('searchMemory, 1-3 words drawn like the corpus', queries, (query) => searchMemory(store, org, ['default'], query, 5));
  measure('searchMemory, 1-3 frequent support words', supportQueries, (query) => searchMemory(store, org, ['default'], query, 5));
  measure('searchMemory, 1 rare word (rank > 4,000)', rareQueries, (query) => searchMemory(store, org, ['default'], query, 5));
  measure('searchMemory, 1,000-doc namespace of the same index', queries, (query) => searchMemory(store, org, ['small'], query, 5));
  // The worst case: FTS5 has no top-k pruning, so BM25 scores every document that matches.
  const df = (word: string) => db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM memory_fts WHERE memory_fts MATCH ?').get(`"${word}"`)?.n ?? 0;
  const share = (word: string) => `${Math.round((df(word) / (added + 6000)) * 100)}%`;
  measure(`searchMemory, "${domain[0]}" alone (in ${share(domain[0] as string)} of documents)`, Array(200).fill(domain[0]), (query) => searchMemory(store, org, ['default'], query, 5));
  measure(`searchMemory, "the" alone (in ${share('the')} of documents)`, Array(200).fill('the'), (query) => searchMemory(store, org, ['default'], query, 5));

  const live: LiveContext = {
    signal: new AbortController().signal,
    env: {},
    warn() {},
    org,
    settings: { root: dir, statePath, datasetsDir: dir, datasets: [], prices: {}, llm: { retries: 0, timeoutMs: 1000, providers: {} } },
    sandbox: () => Promise.resolve(dir),
    onClose() {},
    emitDelta() {},
  };
  // run() is async only in its signature: everything it does is synchronous, so it is timed as is.
  const run = memorySearchAction.run!;
  measure('memorySearchAction.run (validate + executor)', queries, (query) => run(memorySearchAction.validate!({ query, namespace: 'default' }), live));

  started = performance.now();
  const probe = searchMemory(store, org, ['default'], 'refund parcel', 5);
  console.log(`\nexample: "refund parcel" → ${probe.results.length} results in ${Math.round((performance.now() - started) * 1000)} µs; first snippet: ${probe.results[0]?.snippet}`);
} finally {
  closeStateDatabase();
  if (process.env.BENCH_KEEP) console.log(`kept ${statePath}`);
  else rmSync(dir, { recursive: true, force: true });
}
