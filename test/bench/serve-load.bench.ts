/**
 * Load on `rehearse serve`: POST /v1/agents/support-bot/invoke with the README's demo prompt, replayed
 * strictly from the committed demo cache (no network, no key), for a bounded time at each
 * concurrency. Reported per run: requests/s, p50 and p99 latency, errors (connection errors and
 * timeouts: must be 0), non-2xx answers, and failed invocations (a 200 with status failed, read from
 * the run records of the server's temporary state file: must be 0). Requests still running when a
 * run's time is up are cut off by autocannon, which cancels their invocations; they are counted
 * apart ("cut off"), not as failures.
 *
 *   npx tsx test/bench/serve-load.bench.ts
 *   BENCH_SECONDS=5 BENCH_CONNECTIONS=1,8 BENCH_SCENARIOS=demo,mocked npx tsx test/bench/serve-load.bench.ts
 *
 * Scenario `demo` (the default) is the demo bot as `rehearse invoke` runs it: two cache hits, and real
 * local work between them, a full-text search of the help centre and a node program in a sandbox (a
 * child process, most of its time). Scenario `mocked` is a one-call test bot in manual mode with an
 * inline mock, so what it measures is the server and the engine around the bot.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServer } from '../../src/index.js';
import { listRuns } from '../../src/sessions/index.js';

/** The part of autocannon's API used here (it ships no types). */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (options: {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  connections: number;
  duration: number;
  timeout: number;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const concurrencies = (process.env.BENCH_CONNECTIONS ?? '1,16,64').split(',').map(Number);
const root = resolve(import.meta.dirname, '../..');

const scenarios = {
  demo: {
    configPath: join(root, 'rehearse.config.json'),
    agent: 'support-bot',
    body: { query: 'I was charged twice for my order', mode: 'replay', strict: true },
  },
  mocked: {
    configPath: join(root, 'test/serve/fixtures/rehearse.config.json'),
    agent: 'echo-bot',
    body: { query: 'I was charged twice for my order', mode: 'manual', mocks: { 'llm.message': { status: 'success', output: 'Refunded.' } } },
  },
};
const chosen = (process.env.BENCH_SCENARIOS ?? 'demo').split(',') as Array<keyof typeof scenarios>;

function cell(value: string | number, width: number): string {
  return String(value).padStart(width);
}

async function runScenario(name: keyof typeof scenarios): Promise<boolean> {
  const scenario = scenarios[name];
  const dir = mkdtempSync(join(tmpdir(), 'rehearse-serve-bench-'));
  const statePath = join(dir, 'state.sqlite');
  const server = await startServer({ port: 0, cwd: root, configPath: scenario.configPath, statePath, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  const url = `${server.url}/v1/agents/${scenario.agent}/invoke`;
  const body = JSON.stringify(scenario.body);
  let clean = true;
  try {
    // One call first: it loads the bot file (and, for the demo, indexes the help centre into the fresh state file).
    const warm = (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as { status: string; error: unknown };
    if (warm.status !== 'completed') throw new Error(`the warm-up invocation failed: ${JSON.stringify(warm.error)}`);

    console.log(`\n${name}: rehearse serve, POST ${url.replace(server.url, '')} ${JSON.stringify(scenario.body.mode)}${name === 'demo' ? ' strict' : ''}, ${seconds} s a run`);
    console.log('connections  requests/s   p50 ms   p99 ms   max ms   requests  errors  non-2xx  failed  cut off');
    for (const connections of concurrencies) {
      const before = listRuns(statePath, 'default', { status: 'failed' }).length;
      const result = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration: seconds, timeout: 60 });
      // Give the invocations cut off at the end a moment to be recorded as cancelled.
      await new Promise((done) => setTimeout(done, 1000));
      const failedRuns = listRuns(statePath, 'default', { status: 'failed' }).slice(0, Math.max(0, listRuns(statePath, 'default', { status: 'failed' }).length - before));
      const cutOff = failedRuns.filter((run) => run.error?.includes('The client disconnected')).length;
      const failed = failedRuns.length - cutOff;
      for (const run of failedRuns.filter((run) => !run.error?.includes('The client disconnected')).slice(0, 3)) console.log(`  failed: ${run.error}`);
      const errors = result.errors + result.timeouts;
      if (errors > 0 || result.non2xx > 0 || failed > 0) clean = false;
      console.log(
        cell(connections, 11) +
          cell(result.requests.average.toFixed(1), 12) +
          cell(result.latency.p50, 9) +
          cell(result.latency.p99, 9) +
          cell(result.latency.max, 9) +
          cell(result.requests.total, 11) +
          cell(errors, 8) +
          cell(result.non2xx, 9) +
          cell(failed, 8) +
          cell(cutOff, 9),
      );
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return clean;
}

let allClean = true;
for (const name of chosen) {
  if (!(name in scenarios)) throw new Error(`Unknown scenario ${name}; use ${Object.keys(scenarios).join(', ')}.`);
  allClean = (await runScenario(name)) && allClean;
}
if (!allClean) {
  console.log('\nNOT CLEAN: errors, non-2xx answers or failed invocations above.');
  process.exitCode = 1;
}
