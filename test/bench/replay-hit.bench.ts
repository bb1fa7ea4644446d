/**
 * What one replay hit through ctx.llm.message costs, against the floor of the same work done
 * directly: stable stringify + sha256 + a prepared point select + JSON.parse of the output.
 *
 *   npm run bench                 (100,000 entries, ~2 KB rows)
 *   BENCH_ENTRIES=20000 npm run bench
 *
 * Both loops read the same keys of the same file in one process, alternating, and the median of
 * the rounds is reported: the machine is shared and noisy, so the ratio is the figure to trust.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import stableStringify from 'fast-json-stable-stringify';
import { writeRows } from '../support/cache-seed.js';
import { benchParams, benchRow } from './fixtures/recorded-calls.js';
import { defineBot, invoke, type LlmMessageParams } from '../../src/index.js';

const entries = Number(process.env.BENCH_ENTRIES ?? 100_000);
const callsPerRound = Math.min(20_000, entries);
const rounds = 7;
const callsPerInvocation = 1000;
const bot = { id: 'bench-bot', version: 'bench-1' };

const paramsFor = benchParams;

const dir = mkdtempSync(join(tmpdir(), 'rehearse-bench-'));
const cachePath = join(dir, 'cache.sqlite');

function seed(): void {
  writeRows(
    cachePath,
    (function* rows() {
      for (let index = 0; index < entries; index++) yield benchRow(index, bot);
    })(),
  );
}

/** A random sample without repeats: a repeat would be a second occurrence, a different key. */
function sample(count: number): number[] {
  const indexes = Array.from({ length: entries }, (_, index) => index);
  for (let index = 0; index < count; index++) {
    const other = index + Math.floor(Math.random() * (entries - index));
    [indexes[index], indexes[other]] = [indexes[other]!, indexes[index]!];
  }
  return indexes.slice(0, count);
}

/** The floor: exactly the work a hit cannot avoid, with nothing around it. */
function floorRound(indexes: readonly number[]): number {
  const db = new Database(cachePath, { readonly: true });
  const select = db.prepare<[string, string], { output: string }>('SELECT output FROM entries WHERE org = ? AND key = ?');
  const params = indexes.map(paramsFor);
  const started = performance.now();
  for (const parameters of params) {
    const key = createHash('sha256')
      .update(stableStringify({ bot_id: bot.id, bot_updated_at: bot.version, action_type: 'llm.message', parameters }))
      .digest('hex');
    const row = select.get('default', key);
    if (!row) throw new Error('floor: miss');
    JSON.parse(row.output);
  }
  const elapsed = performance.now() - started;
  db.close();
  return elapsed;
}

/** Times its own calls: the cost of the hits, apart from what opening and closing an invocation costs (measured below). */
const benchBot = defineBot({
  key: bot.id,
  version: bot.version,
  async run(input, ctx) {
    const started = performance.now();
    for (const parameters of input.parameters.params as LlmMessageParams[]) await ctx.llm.message(parameters);
    return performance.now() - started;
  },
});

/**
 * The same hits through the engine, in invocations of `callsPerInvocation` calls, timed around the
 * calls inside the bot; what an invocation costs around its calls (opening the cache, writing the run
 * record and the hit counts) is measured on its own below, with no actions.
 */
async function rehearseRound(indexes: readonly number[]): Promise<number> {
  const batches: LlmMessageParams[][] = [];
  for (let start = 0; start < indexes.length; start += callsPerInvocation) {
    batches.push(indexes.slice(start, start + callsPerInvocation).map(paramsFor));
  }
  let elapsed = 0;
  for (const params of batches) {
    const result = await invoke(benchBot, { mode: 'replay', strict: true, cachePath, parameters: { params }, env: {} });
    if (!result.success) throw new Error(`rehearse: ${result.error?.message}`);
    if (result.cache.hits !== params.length) throw new Error('rehearse: not every call was a hit');
    elapsed += result.result.output as number;
  }
  return elapsed;
}

const emptyBot = defineBot({ key: 'bench-empty', version: '1', run: () => 'done' });

/** What an invocation costs before its first action: config, opening the cache file, events, result. */
async function invocationOverhead(count: number): Promise<number> {
  const started = performance.now();
  for (let index = 0; index < count; index++) await invoke(emptyBot, { mode: 'replay', strict: true, cachePath, env: {} });
  return ((performance.now() - started) * 1000) / count;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

try {
  const seeding = performance.now();
  seed();
  const sizeMb = statSync(cachePath).size / 1e6;
  console.log(`cache: ${entries} entries, ${sizeMb.toFixed(0)} MB, seeded in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
  const floor: number[] = [];
  const engine: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Fresh random keys each round, the same for both loops, so neither gets a warmer page cache.
    const indexes = sample(callsPerRound);
    floor.push((floorRound(indexes) * 1000) / callsPerRound);
    engine.push(((await rehearseRound(indexes)) * 1000) / callsPerRound);
  }
  // The first round warms the JIT and the page cache for both; it is dropped.
  floor.shift();
  engine.shift();
  const floorMedian = median(floor);
  const engineMedian = median(engine);
  console.log(`floor   (stringify + sha256 + select + parse): ${floorMedian.toFixed(1)} µs per hit  [${floor.map((v) => v.toFixed(1)).join(', ')}]`);
  console.log(`rehearse (ctx.llm.message, replay hit):        ${engineMedian.toFixed(1)} µs per hit  [${engine.map((v) => v.toFixed(1)).join(', ')}]`);
  console.log(`ratio: ${(engineMedian / floorMedian).toFixed(2)}x the floor (goal: at most 2x)`);
  await invocationOverhead(200);
  console.log(`an invocation with no actions (open, events, result): ${(await invocationOverhead(2000)).toFixed(0)} µs`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
