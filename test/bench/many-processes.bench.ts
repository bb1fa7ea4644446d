/**
 * Many processes, one cache file: 4 processes each record 2,000 entries (100 invocations x 20
 * calls, every call a distinct prompt) into one cache file at the same time, then all 4 replay
 * the same 8,000 calls strictly at the same time. Reported per phase: wall time, throughput,
 * errors (failed invocations and thrown errors, SQLITE_BUSY among them: must be 0); then the
 * entries in the file (must be 8,000) and PRAGMA integrity_check.
 *
 *   npx tsx test/bench/many-processes.bench.ts
 *   BENCH_PROCESSES=8 BENCH_INVOCATIONS=50 BENCH_CALLS=40 npx tsx test/bench/many-processes.bench.ts
 *   BENCH_ACTION=llm npx tsx test/bench/many-processes.bench.ts   (ctx.llm.message to a local fake provider)
 *   BENCH_STORE=postgres BENCH_PROCESSES=8 npx tsx test/bench/many-processes.bench.ts   (a throwaway PostgreSQL cluster instead of the file)
 *
 * By default each call is a registered action type (`bench.echo`, cached by default, whose live
 * run returns its params), so the figures are rehearse's own cost (invocation open, key, SQLite
 * read or write, events), not HTTP's. The workers start first and load their code; each phase
 * starts when all are ready and its wall time runs from the go to the last worker's end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';
import { PostgresStore } from '../../src/cache/postgres/store.js';
import { startTestPostgres } from '../support/postgres.js';
import type { Phase, PhaseReport } from './fixtures/many-processes-worker.js';

const processes = Number(process.env.BENCH_PROCESSES ?? 4);
const invocations = Number(process.env.BENCH_INVOCATIONS ?? 100);
const calls = Number(process.env.BENCH_CALLS ?? 20);
const action = process.env.BENCH_ACTION === 'llm' ? 'llm' : 'echo';
const root = resolve(import.meta.dirname, '../..');
const workerFile = resolve(import.meta.dirname, 'fixtures/many-processes-worker.ts');

const onPostgres = process.env.BENCH_STORE === 'postgres';
const dir = mkdtempSync(join(tmpdir(), 'rehearse-bench-'));
const postgres = onPostgres ? await startTestPostgres() : undefined;
/** The file, or the server's URL: the workers replay and record through whichever the location names. */
const cachePath = postgres ? postgres.adminUrl : join(dir, 'cache.sqlite');

interface Worker {
  child: ChildProcess;
  /** The worker's next message: `ready`, then a PhaseReport per phase. */
  next(): Promise<{ type: string }>;
}

function startWorker(index: number, env: NodeJS.ProcessEnv): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', workerFile, cachePath, String(index), String(invocations), String(calls), action], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: Array<{ type: string }> = [];
  const waiting: Array<(message: { type: string }) => void> = [];
  child.on('message', (message: { type: string }) => {
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else inbox.push(message);
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`worker ${index} exited early (code ${code}, signal ${signal})`))),
  );
  exited.catch(() => undefined);
  return {
    child,
    next: () => {
      const queued = inbox.shift();
      if (queued) return Promise.resolve(queued);
      return Promise.race([new Promise<{ type: string }>((resolve) => waiting.push(resolve)), exited]);
    },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function runPhase(workers: Worker[], phase: Phase): Promise<{ reports: PhaseReport[]; wallMs: number }> {
  const started = performance.now();
  for (const worker of workers) worker.child.send({ phase });
  const reports = (await Promise.all(workers.map((worker) => worker.next()))) as unknown as PhaseReport[];
  return { reports, wallMs: performance.now() - started };
}

function printPhase(phase: Phase, { reports, wallMs }: { reports: PhaseReport[]; wallMs: number }): number {
  const ops = reports.reduce((sum, report) => sum + report.invocations * report.calls, 0);
  const errors = reports.reduce((sum, report) => sum + report.errors, 0);
  const busy = reports.reduce((sum, report) => sum + report.busy, 0);
  const wrong = reports.reduce((sum, report) => sum + report.wrongCounts, 0);
  const done = reports.reduce((sum, report) => sum + (phase === 'record' ? report.recorded : report.hits), 0);
  const latencies = reports.flatMap((report) => report.latencies);
  console.log(
    `${phase.padEnd(6)}  ${processes} x ${invocations * calls} ${phase === 'record' ? 'recordings' : 'strict replays'}: ` +
      `${(wallMs / 1000).toFixed(2)} s wall, ${Math.round((ops * 1000) / wallMs).toLocaleString('en-US')} ops/s, ` +
      `${phase === 'record' ? 'recorded' : 'hits'} ${done}/${ops}, errors ${errors} (SQLITE_BUSY ${busy}), wrong counts ${wrong}`,
  );
  console.log(
    `        per worker: ${reports.map((report) => `${(report.ms / 1000).toFixed(2)} s`).join(', ')}; ` +
      `per invocation of ${calls} calls: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`,
  );
  for (const report of reports) for (const sample of report.samples) console.log(`        worker ${report.worker}: ${sample}`);
  return errors + wrong + (ops - done);
}

let server: FakeOpenAIServer | undefined;
const workers: Worker[] = [];
let failures = 0;
try {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  if (action === 'llm') {
    server = await startOpenAIServer();
    env.OPENAI_BASE_URL = server.url;
  }
  console.log(
    `${processes} processes x ${invocations} invocations x ${calls} calls on one ${postgres ? 'PostgreSQL cache (throwaway cluster on loopback)' : 'cache file'}, ` +
      `action ${action === 'llm' ? 'llm.message (local fake provider, instant answers)' : 'bench.echo (registered type, cached by default, no HTTP)'}`,
  );
  for (let index = 0; index < processes; index++) workers.push(startWorker(index, env));
  const loading = performance.now();
  await Promise.all(workers.map((worker) => worker.next()));
  console.log(`workers ready in ${((performance.now() - loading) / 1000).toFixed(2)} s (not counted)`);

  failures += printPhase('record', await runPhase(workers, 'record'));
  const recordedSize = postgres ? 0 : statSync(cachePath).size;
  failures += printPhase('replay', await runPhase(workers, 'replay'));
  for (const worker of workers) worker.child.send({ exit: true });
  await Promise.all(workers.map((worker) => new Promise((resolve) => (worker.child.exitCode !== null ? resolve(null) : worker.child.once('exit', resolve)))));

  let entries: number;
  let integrity: string;
  if (postgres) {
    const store = new PostgresStore(cachePath);
    entries = await store.count({});
    integrity = (await store.integrity()).join(', ');
    await store.close();
  } else {
    const db = new Database(cachePath, { readonly: true });
    try {
      entries = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM entries').get()!.n;
      integrity = db.prepare<[], { integrity_check: string }>('PRAGMA integrity_check').get()!.integrity_check;
    } finally {
      db.close();
    }
  }
  const expected = processes * invocations * calls;
  const leftovers = postgres ? [] : ['-wal', '-shm', '-journal'].filter((suffix) => existsSync(cachePath + suffix));
  console.log(
    `${postgres ? 'PostgreSQL' : 'file'}: ${entries} entries (expected ${expected}), integrity ${integrity}${postgres ? '' : `, ${(recordedSize / 1e6).toFixed(1)} MB`}, ` +
      `${leftovers.length ? `left beside it: ${leftovers.join(', ')}` : 'no -wal/-shm/-journal left'}`,
  );
  if (entries !== expected || integrity !== 'ok') failures++;
  if (server) console.log(`provider requests: ${server.requests.length}`);
} finally {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill();
  await server?.close();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(failures === 0 ? 'OK: 0 errors' : `FAILED: ${failures} problems`);
process.exitCode = failures === 0 ? 0 : 1;
