/**
 * `rehearse cache export` and `rehearse cache import` of 100,000 entries of ~2 KB: the time and the
 * peak memory (max RSS) of each, every phase a separate CLI process, as a user runs it. The same is
 * done at a tenth of the size: a streamed command's peak memory stays flat while the data grows
 * tenfold, where one that loaded the table whole would grow with it. `verify` of the imported copy
 * (integrity check + every key recomputed) and the bare CLI start are measured too, for scale.
 *
 *   npm run build && npx tsx test/bench/cache-export-import.bench.ts
 *   BENCH_ENTRIES=20000 npx tsx test/bench/cache-export-import.bench.ts
 *
 * Max RSS comes from /usr/bin/time when it is there, else from process.resourceUsage() at the exit
 * of the child.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import type { CacheRow } from '../../src/cache/types.js';
import { writeRows } from '../support/cache-seed.js';
import { benchRow } from './fixtures/recorded-calls.js';

const largest = Number(process.env.BENCH_ENTRIES ?? 100_000);
const sizes = [Math.round(largest / 10), largest];
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/rehearse.js');
if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Four bots, one recording a second from 2026-01-01: the rows export and import in a realistic order. */
function row(index: number): CacheRow {
  return benchRow(index, { id: `bench-bot-${index % 4}`, version: 'bench-1' }, new Date(Date.UTC(2026, 0, 1) + index * 1000).toISOString());
}

function seed(path: string, entries: number): void {
  writeRows(path,
    (function* rows() {
      for (let index = 0; index < entries; index++) yield row(index);
    })(),
  );
}

interface Measure {
  seconds: number;
  maxRssMb: number;
}

/** Runs the CLI in a child process; wall time measured here, max RSS by /usr/bin/time or the child itself. */
function measure(args: string[], dir: string): Measure {
  const rssFile = join(dir, 'rss.txt');
  rmSync(rssFile, { force: true });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? dir, REHEARSE_STATE: join(dir, 'state.sqlite') };
  const nodeArgs = gnuTime
    ? [bin, ...args]
    : [
        '--import',
        `data:text/javascript,${encodeURIComponent(`import { writeFileSync } from 'node:fs'; process.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));`)}`,
        bin,
        ...args,
      ];
  const [command, commandArgs] = gnuTime ? [gnuTime, ['-f', '%M', '-o', rssFile, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const start = performance.now();
  const run = spawnSync(command, commandArgs, { cwd: dir, env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const seconds = (performance.now() - start) / 1000;
  if (run.status !== 0) throw new Error(`rehearse ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
  const kilobytes = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)); // KB from both sources
  return { seconds, maxRssMb: kilobytes / 1024 };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const count = (n: number) => n.toLocaleString('en-US');

const dir = mkdtempSync(join(tmpdir(), 'rehearse-bench-export-'));
try {
  console.log(`rehearse cache export / import, node ${process.version}, max RSS by ${gnuTime ? '/usr/bin/time' : 'process.resourceUsage()'}`);
  const startup = measure(['--version'], dir);
  console.log(`bare CLI start (rehearse --version): ${startup.seconds.toFixed(2)} s, max RSS ${startup.maxRssMb.toFixed(0)} MB\n`);
  const table: string[][] = [['entries', 'phase', 'time', 'rate', 'max RSS', 'data']];
  for (const entries of sizes) {
    const source = join(dir, `source-${entries}.sqlite`);
    const exported = join(dir, `export-${entries}.jsonl`);
    const copy = join(dir, `copy-${entries}.sqlite`);
    const seedStart = performance.now();
    seed(source, entries);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const sourceBytes = statSync(source).size;
    table.push([count(entries), 'seed (saveAll)', `${seedSeconds.toFixed(2)} s`, `${count(Math.round(entries / seedSeconds))}/s`, '', `${mb(sourceBytes)} cache`]);

    const exportRun = measure(['cache', 'export', exported, '--cache', source], dir);
    const exportBytes = statSync(exported).size;
    table.push([count(entries), 'export', `${exportRun.seconds.toFixed(2)} s`, `${count(Math.round(entries / exportRun.seconds))}/s`, `${exportRun.maxRssMb.toFixed(0)} MB`, `${mb(exportBytes)} jsonl`]);

    const importRun = measure(['cache', 'import', exported, '--cache', copy], dir);
    table.push([count(entries), 'import', `${importRun.seconds.toFixed(2)} s`, `${count(Math.round(entries / importRun.seconds))}/s`, `${importRun.maxRssMb.toFixed(0)} MB`, `${mb(statSync(copy).size)} cache`]);

    const verifyRun = measure(['cache', 'verify', '--cache', copy], dir);
    table.push([count(entries), 'verify copy', `${verifyRun.seconds.toFixed(2)} s`, `${count(Math.round(entries / verifyRun.seconds))}/s`, `${verifyRun.maxRssMb.toFixed(0)} MB`, '']);

    // The copy holds the same rows: same count, same content digest.
    const digest = (path: string) => {
      const db = new Database(path, { readonly: true });
      const result = db.prepare('SELECT count(*) AS n, sum(length(params) + length(output)) AS bytes, max(key) AS last FROM entries').get();
      db.close();
      return JSON.stringify(result);
    };
    if (digest(copy) !== digest(source)) throw new Error(`the imported copy differs from the source at ${entries} entries`);
    for (const file of [source, exported, copy]) rmSync(file, { force: true });
  }
  const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  for (const line of table) console.log(line.map((cell, column) => (column >= 2 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd());
  console.log('\nrows ~2 KB (params ~1 KB + output ~1 KB); every phase a fresh `node bin/rehearse.js` process; the copy checked equal to the source.');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
