/**
 * rehearse/vitest used by a real vitest run: the sample suite in test/vitest/fixture (its own config,
 * importing the BUILT package by name) runs in a child vitest in every mode a team uses: manual (mocks),
 * recording (replay with a local fake provider), CI (strict replay from a copy of that recording), CI with
 * a recording missing (the run fails with the strict miss and the command that records it), and a local
 * refresh (REHEARSE_REFRESH=1 alone).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const fixtureDir = join(repoRoot, 'test/vitest/fixture');
const vitestBin = join(repoRoot, 'node_modules/vitest/vitest.mjs');
const runTimeoutMs = 60_000;

interface FixtureRun {
  code: number | null;
  /** stdout and stderr, without colours. */
  output: string;
}

let dir: string;
let server: FakeOpenAIServer;
let recorded: string;
let recording: FixtureRun;

/** A command in the fixture folder, with PATH and HOME only, plus `env`. */
function runInFixture(file: string, args: string[], env: Record<string, string>): Promise<FixtureRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      cwd: fixtureDir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? tmpdir(),
        NO_COLOR: '1',
        REHEARSE_STATE: join(dir, 'state.sqlite'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), runTimeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      // Any colour the child printed despite NO_COLOR goes.
      resolvePromise({ code, output: output.replace(/\u001b\[[0-9;]*m/g, '') });
    });
  });
}

/** The sample suite in a child vitest. */
function runFixture(env: Record<string, string>): Promise<FixtureRun> {
  return runInFixture(process.execPath, [vitestBin, 'run', '--root', fixtureDir, '--config', join(fixtureDir, 'vitest.config.ts')], env);
}

/** A copy of the recorded cache, so every run starts from the same recordings. */
function copyOfRecording(name: string): string {
  const path = join(dir, name);
  copyFileSync(recorded, path);
  return path;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function rows(path: string): Array<{ org: string; params: string }> {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT org, params FROM entries ORDER BY org, key').all() as Array<{ org: string; params: string }>;
  } finally {
    db.close();
  }
}

/** The summary block the reporter printed (from its first line to the end of the output). */
function summaryOf(run: FixtureRun): string {
  const start = run.output.indexOf(' rehearse ');
  expect(start, `no rehearse summary in:\n${run.output}`).toBeGreaterThanOrEqual(0);
  return run.output.slice(start);
}

beforeAll(async () => {
  if (!existsSync(join(repoRoot, 'dist/vitest/index.js'))) throw new Error('Build first (npm run build): the sample suite imports the built rehearse/vitest.');
  dir = mkdtempSync(join(tmpdir(), 'rehearse-vitest-integration-'));
  server = await startOpenAIServer();
  recorded = join(dir, 'recorded.sqlite');
  recording = await runFixture({
    REHEARSE_MODE: 'replay',
    REHEARSE_CACHE: recorded,
    OPENAI_BASE_URL: server.url,
    OPENAI_API_KEY: 'sk-test-fixture',
    FIXTURE_SOURCE: 'live',
  });
}, runTimeoutMs);

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a real vitest run of a suite using rehearse/vitest', () => {
  it('manual (no REHEARSE_MODE): served from the mocks, no provider called, no cache written', { timeout: runTimeoutMs }, async () => {
    const requestsBefore = server.requests.length;
    const cache = join(dir, 'manual.sqlite');
    const run = await runFixture({ REHEARSE_CACHE: cache, OPENAI_BASE_URL: server.url, FIXTURE_SOURCE: 'mock' });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/Tests\s+6 passed \(6\)/);
    expect(run.output).not.toContain('deprecated');
    const summary = summaryOf(run);
    expect(summary).toContain(' rehearse  4 invocations (manual 4)');
    expect(summary).toContain('cache: 0 hits, 0 misses, 0 recorded · cost saved $0 · spent on live calls $0');
    expect(summary).not.toContain('strict miss');
    expect(server.requests.length).toBe(requestsBefore);
    expect(existsSync(cache)).toBe(false);
  });

  it('recording (REHEARSE_MODE=replay): each miss runs live once and is recorded; isolated tests record under orgs of their own', () => {
    expect(recording.code, recording.output).toBe(0);
    expect(recording.output).toMatch(/Tests\s+6 passed \(6\)/);
    const summary = summaryOf(recording);
    expect(summary).toContain(' rehearse  5 invocations (replay 5)');
    expect(summary).toMatch(/cache: 0 hits, 5 misses, 5 recorded · cost saved \$0 · spent on live calls \$0\.0000\d\d/);

    // The temporary cache's recording went to its own file, now removed: four rows here, Ping once per isolated test.
    const entries = rows(recorded).map((row) => `${row.org.replace(/-[0-9a-f]{8}$/, '-<hash>')}: ${JSON.parse(row.params).messages[0].content}`);
    expect(entries.sort()).toEqual(['default: Goodbye', 'default: Hello', 'isolated-alpha-<hash>: Ping', 'isolated-beta-<hash>: Ping']);
  });

  it('CI (REHEARSE_MODE=replay REHEARSE_STRICT=1): every answer from the recordings, no provider called, the cache file unchanged', { timeout: runTimeoutMs }, async () => {
    const cache = copyOfRecording('ci.sqlite');
    const before = sha256(cache);
    const requestsBefore = server.requests.length;
    const run = await runFixture({ REHEARSE_MODE: 'replay', REHEARSE_STRICT: '1', REHEARSE_CACHE: cache, OPENAI_BASE_URL: server.url, FIXTURE_SOURCE: 'cache' });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/Tests\s+6 passed \(6\)/);
    const summary = summaryOf(run);
    expect(summary).toContain(' rehearse  4 invocations (replay 4)');
    expect(summary).toMatch(/cache: 4 hits, 0 misses, 0 recorded · cost saved \$0\.0000\d\d · spent on live calls \$0\n/);
    expect(summary).not.toContain('strict miss');
    expect(server.requests.length).toBe(requestsBefore);
    expect(sha256(cache)).toBe(before);
  });

  it('CI with a recording missing: the run fails with the strict miss and its record command; the summary lists it, and its command records it', { timeout: 3 * runTimeoutMs }, async () => {
    const cache = copyOfRecording('missing.sqlite');
    const db = new Database(cache);
    expect(db.prepare(`DELETE FROM entries WHERE params LIKE '%Goodbye%'`).run().changes).toBe(1);
    db.close();

    const run = await runFixture({ REHEARSE_MODE: 'replay', REHEARSE_STRICT: '1', REHEARSE_CACHE: cache, FIXTURE_SOURCE: 'cache' });
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/Tests\s+1 failed \| 5 passed \(6\)/);
    expect(run.output).toMatch(/FAIL\s+greeter\.spec\.ts > greeter > says goodbye/);
    // The assertion's message: the error code, the miss, and the hint with the command that records it.
    expect(run.output).toContain(
      'expected the invocation of bot "greeter" (replay mode) to succeed, but it failed with CACHE_STRICT_MISS: Strict replay miss: bot "greeter" called llm.message with params that have no recording.',
    );
    expect(run.output).toContain('To record it, run once without --strict');
    expect(run.output).toContain('npx rehearse invoke greeter Goodbye --mode replay --cache');

    const summary = summaryOf(run);
    expect(summary).toContain(' rehearse  4 invocations (replay 4), 1 failed');
    expect(summary).toContain('cache: 3 hits, 1 miss, 0 recorded');
    expect(summary).toContain('1 strict miss: a recording is missing; record it, then commit the cache:');
    expect(summary).toContain('✗ greeter.spec.ts > greeter > says goodbye');
    expect(summary).toContain('Strict replay miss: bot "greeter" called llm.message with params that have no recording.');
    expect(summary).toMatch(/bot greeter · llm\.message · key [0-9a-f]{12}/);
    expect(summary).toContain(`record it: REHEARSE_MODE=replay REHEARSE_CACHE=${cache} npx vitest run greeter.spec.ts -t '(^| )greeter says goodbye$'`);
    expect(summary).toMatch(/or: npx rehearse invoke greeter Goodbye --mode replay --cache \S*missing\.sqlite/);

    // The summary's command records the missing answer (the provider reachable), then CI passes again.
    const rerun = /record it: (.+)/.exec(summary)?.[1] ?? '';
    const recording = await runInFixture('sh', ['-c', rerun], { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-test-fixture', FIXTURE_SOURCE: 'live' });
    expect(recording.code, recording.output).toBe(0);
    expect(recording.output).toMatch(/Tests\s+1 passed \| 5 skipped \(6\)/);
    expect(summaryOf(recording)).toContain('cache: 0 hits, 1 miss, 1 recorded');
    const again = await runFixture({ REHEARSE_MODE: 'replay', REHEARSE_STRICT: '1', REHEARSE_CACHE: cache, FIXTURE_SOURCE: 'cache' });
    expect(again.code, again.output).toBe(0);
    expect(summaryOf(again)).toContain('cache: 4 hits, 0 misses, 0 recorded');
  });

  it('local refresh (REHEARSE_REFRESH=1 alone means replay): every cached action live again and re-recorded', { timeout: runTimeoutMs }, async () => {
    const cache = copyOfRecording('refresh.sqlite');
    const requestsBefore = server.requests.length;
    const run = await runFixture({ REHEARSE_REFRESH: '1', REHEARSE_CACHE: cache, OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-test-fixture', FIXTURE_SOURCE: 'live' });
    expect(run.code, run.output).toBe(0);
    const summary = summaryOf(run);
    expect(summary).toContain(' rehearse  5 invocations (replay 5)');
    expect(summary).toContain('cache: 0 hits, 5 misses, 5 recorded');
    expect(server.requests.length).toBe(requestsBefore + 5);
    expect(rows(cache)).toHaveLength(4);
  });
});
