/**
 * Files rehearse cannot write, named as such (issue 13, items 5 and 15): a read-only cache file or
 * folder, a state file that is read-only, a device (/dev/null) or a folder. A replay still reads a
 * read-only cache; a miss fails before its live call (nothing is paid for a recording that could not
 * be kept); a run whose record cannot be saved says so and keeps its exit code.
 */
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rehearse, repoRoot } from '../support/cli.js';
import { canRunUnprivileged, rehearseUnprivileged, sharedTempDir } from '../support/unprivileged.js';

const demoPrompt = 'I was charged twice for my order';
/** The echo bot of the serve tests: one llm.message, so manual mode needs one mock. */
const echoConfig = join(repoRoot, 'test/serve/fixtures/rehearse.config.json');
/** No provider listens here: had a miss gone live, the error would say the endpoint is unreachable. */
const closedProvider = { OPENAI_API_KEY: 'test-key-not-secret', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };

function expectClean(stderr: string): void {
  expect(stderr).not.toContain('unexpected error');
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe.runIf(canRunUnprivileged)('a cache this user may not write', () => {
  let home: string;

  function readOnlyCacheFile(): string {
    home = sharedTempDir();
    const cache = join(home, 'rehearse.sqlite');
    copyFileSync(join(repoRoot, 'cache/rehearse.sqlite'), cache);
    chmodSync(cache, 0o444);
    return cache;
  }

  function cacheInReadOnlyFolder(): string {
    home = sharedTempDir();
    const folder = join(home, 'cache');
    mkdirSync(folder);
    const cache = join(folder, 'rehearse.sqlite');
    copyFileSync(join(repoRoot, 'cache/rehearse.sqlite'), cache);
    chmodSync(cache, 0o666);
    chmodSync(folder, 0o555);
    return cache;
  }

  for (const [what, make, named] of [
    ['a read-only file', readOnlyCacheFile, /the file cannot be written \(permission denied for/],
    ['a file in a read-only folder', cacheInReadOnlyFolder, /its folder .*cache cannot be written \(permission denied for .*\), and SQLite keeps a journal beside the file/],
  ] as const) {
    it(`${what}: a strict replay reads it; a miss fails before any live call, naming the permission; a clear says why and changes nothing`, async () => {
      const cache = make();
      const before = readFileSync(cache);
      const env = { REHEARSE_STATE: join(home, 'state.sqlite'), ...closedProvider };

      const replay = await rehearseUnprivileged(['invoke', 'support-bot', demoPrompt, '--config', join(repoRoot, 'rehearse.config.json'), '--cache', cache, '--mode', 'replay', '--strict', '--format', 'json'], home, env);
      expect(replay.stderr).toBe('');
      expect(replay.code).toBe(0);
      expect(JSON.parse(replay.stdout)).toMatchObject({ status: 'completed', cache: { hits: 2 } });

      const miss = await rehearseUnprivileged(['invoke', 'support-bot', 'A question never recorded', '--config', join(repoRoot, 'rehearse.config.json'), '--cache', cache, '--mode', 'replay'], home, env);
      expect(miss.code).toBe(1);
      expect(miss.stderr).toContain('may only be read here');
      expect(miss.stderr).toMatch(named);
      expect(miss.stderr).toContain('Nothing was called live');
      expect(miss.stderr).not.toContain('Could not reach');
      expectClean(miss.stderr);

      const clear = await rehearseUnprivileged(['cache', 'clear', '--cache', cache, '--yes'], home, env);
      expect(clear.code).toBe(1);
      expect(clear.stderr).toMatch(named);
      expect(clear.stderr).toContain('Make the file and its folder writable');
      expect(clear.stderr).not.toContain('Free some space');
      expectClean(clear.stderr);
      expect(readFileSync(cache).equals(before)).toBe(true);
    }, 60_000);
  }
});

describe('a state file that cannot be written', () => {
  function mockFile(home: string): void {
    writeFileSync(join(home, 'mocks.json'), JSON.stringify({ 'llm.message': { status: 'success', output: 'hi there' } }));
  }

  it('/dev/null: the run answers, exits 0 and warns that it was not saved; `rehearse runs` names a device', async () => {
    const home = sharedTempDir();
    mockFile(home);
    const run = await rehearse(['invoke', 'echo-bot', 'hello', '--config', echoConfig, '--mode', 'manual', '--mocks', join(home, 'mocks.json'), '--format', 'text'], { cwd: home, env: { REHEARSE_STATE: '/dev/null' } });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('hi there');
    expect(run.stderr).toContain('rehearse: warning: This run was not saved');
    expect(run.stderr).toContain('/dev/null: it is not a regular file');
    expectClean(run.stderr);

    const runs = await rehearse(['runs'], { cwd: home, env: { REHEARSE_STATE: '/dev/null' } });
    expect(runs.code).not.toBe(0);
    expect(runs.stderr).toContain('it is not a regular file');
    expect(runs.stderr).not.toContain('disk I/O error');
    expectClean(runs.stderr);
  });

  it('a folder: named as a folder, with a file path to use instead', async () => {
    const home = sharedTempDir();
    mockFile(home);
    const run = await rehearse(['invoke', 'echo-bot', 'hello', '--config', echoConfig, '--mode', 'manual', '--mocks', join(home, 'mocks.json'), '--format', 'text'], { cwd: home, env: { REHEARSE_STATE: home } });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('it is a folder, not a file');
    expect(run.stderr).toContain(join(home, 'state.sqlite'));
  });

  it.runIf(canRunUnprivileged)('a read-only file: the run exits 0 and warns, naming the permission; `rehearse runs` says the same', async () => {
    const home = sharedTempDir();
    mockFile(home);
    const state = join(home, 'state.sqlite');
    // A real state file first, then made read-only.
    const first = await rehearseUnprivileged(['invoke', 'echo-bot', 'hello', '--config', echoConfig, '--mode', 'manual', '--mocks', join(home, 'mocks.json'), '--format', 'text'], home, { REHEARSE_STATE: state });
    expect(first.stderr).toBe('');
    chmodSync(state, 0o444);

    const run = await rehearseUnprivileged(['invoke', 'echo-bot', 'hello', '--config', echoConfig, '--mode', 'manual', '--mocks', join(home, 'mocks.json'), '--format', 'text'], home, { REHEARSE_STATE: state });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('hi there');
    expect(run.stderr).toContain('This run was not saved');
    expect(run.stderr).toMatch(/the file cannot be written \(permission denied for/);
    expectClean(run.stderr);

    const runs = await rehearseUnprivileged(['runs'], home, { REHEARSE_STATE: state });
    expect(runs.code).not.toBe(0);
    expect(runs.stderr).toMatch(/the file cannot be written \(permission denied for/);
    expectClean(runs.stderr);
  }, 60_000);
});
