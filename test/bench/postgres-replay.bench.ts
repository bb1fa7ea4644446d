/**
 * Replaying from PostgreSQL against replaying from SQLite, in one run: a 1,000-call invocation
 * (strict, every call a hit) alternately from a SQLite file and from a throwaway PostgreSQL cluster
 * on loopback holding the same rows; then the point lookup of one recording on PostgreSQL (a store
 * that was not readied for the bot's version: one round trip a call), p50 and p99.
 *
 *   npx tsx test/bench/postgres-replay.bench.ts
 *   REHEARSE_TEST_PG_URL=postgres://... npx tsx test/bench/postgres-replay.bench.ts   (an existing server)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresStore } from '../../src/cache/postgres/store.js';
import { closeSharedStores } from '../../src/cache/open.js';
import { defineBot, invoke } from '../../src/index.js';
import { writeRows } from '../support/cache-seed.js';
import { startTestPostgres } from '../support/postgres.js';
import { benchParams, benchRow } from './fixtures/recorded-calls.js';

const calls = Number(process.env.BENCH_CALLS ?? 1000);
const rounds = 7;
const bot = { id: 'pg-bench-bot', version: 'v1' };
const rowFor = (index: number) => benchRow(index, bot);

const benchBot = defineBot({
  key: bot.id,
  version: bot.version,
  async run(_input, ctx) {
    for (let index = 0; index < calls; index++) await ctx.llm.message(benchParams(index));
    return 'done';
  },
});

async function replayOnce(cachePath: string): Promise<number> {
  const started = performance.now();
  const result = await invoke(benchBot, { mode: 'replay', strict: true, cachePath, env: {} });
  if (!result.success || result.cache.hits !== calls) throw new Error(`replay from ${cachePath.split('@').at(-1)}: ${result.error?.message ?? `${result.cache.hits} hits`}`);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

const dir = mkdtempSync(join(tmpdir(), 'rehearse-pg-bench-'));
const server = await startTestPostgres();
try {
  const rows = Array.from({ length: calls }, (_, index) => rowFor(index));
  const file = join(dir, 'cache.sqlite');
  writeRows(file, rows);
  const seed = new PostgresStore(server.adminUrl);
  await seed.importRows((async function* () { yield rows; })(), 'keep');
  await seed.close();

  const sqlite: number[] = [];
  const postgres: number[] = [];
  for (let round = 0; round < rounds; round++) {
    sqlite.push(await replayOnce(file));
    postgres.push(await replayOnce(server.adminUrl));
    // A new process's first invocation: the shared stores are closed, so each round opens them again.
    await closeSharedStores();
  }
  sqlite.shift();
  postgres.shift();
  const ratio = median(postgres) / median(sqlite);
  console.log(`a ${calls}-call invocation replayed strictly (${rounds - 1} rounds, the first dropped):`);
  console.log(`  SQLite file:       median ${median(sqlite).toFixed(0)} ms  [${sqlite.map((ms) => ms.toFixed(0)).join(', ')}]`);
  console.log(`  PostgreSQL (lo):   median ${median(postgres).toFixed(0)} ms  [${postgres.map((ms) => ms.toFixed(0)).join(', ')}]`);
  console.log(`  ratio: ${ratio.toFixed(2)}x (goal: at most 2x)`);

  const lookups = new PostgresStore(server.adminUrl);
  await lookups.check();
  const latencies: number[] = [];
  for (let index = 0; index < 2000; index++) {
    const row = rows[index % rows.length]!;
    const started = performance.now();
    if (!(await lookups.find(row.org, row.key))) throw new Error('point lookup: miss');
    latencies.push((performance.now() - started) * 1000);
  }
  latencies.splice(0, 100); // warm-up
  console.log(`point lookup on PostgreSQL (one round trip): p50 ${percentile(latencies, 50).toFixed(0)} µs, p99 ${percentile(latencies, 99).toFixed(0)} µs`);
  await lookups.close();
} finally {
  await closeSharedStores();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
