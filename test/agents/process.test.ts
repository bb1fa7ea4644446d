/**
 * A command agent that fails as a program: a non-zero exit (its message and its stderr in the
 * error and as log events), an empty answer, a run that never ends (the invocation's timeout kills
 * its whole process group), and a program that does not exist.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineBot, invoke } from '../../src/index.js';
import { tempDir } from '../support/temp.js';
import { alive, deadProvider, eventually, fixtures, repoRoot, stderrLines, testEnv } from './support.js';

const run = (bot: Parameters<typeof invoke>[0], options: Parameters<typeof invoke>[1] = {}) =>
  invoke(bot, { input: 'hello', mode: 'manual', mocks: {}, cwd: repoRoot, env: testEnv({ OPENAI_BASE_URL: deadProvider }), ...options });

describe('a command agent that fails', () => {
  it('exits non-zero: AGENT_PROCESS_FAILED with the exit code and its last stderr lines; every line is a log event', async () => {
    const bot = defineBot({
      key: 'crashing-agent',
      command: ['python3', '-c', 'import sys\nprint("loading the model", file=sys.stderr)\nprint("KeyError: order_id", file=sys.stderr)\nsys.exit(3)'],
    });
    const result = await run(bot);
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('AGENT_PROCESS_FAILED');
    expect(result.error?.message).toContain('exited with code 3');
    expect(result.error?.message).toContain('KeyError: order_id');
    expect(result.error?.hint).toMatch(/log event/);
    expect(stderrLines(result)).toEqual(['loading the model', 'KeyError: order_id']);
  });

  it('prints nothing: AGENT_PROCESS_FAILED saying stdout is where the answer belongs', async () => {
    const bot = defineBot({ key: 'silent-agent', command: ['python3', '-c', 'import sys; sys.stderr.write("done\\n")'] });
    const result = await run(bot);
    expect(result.error?.code).toBe('AGENT_PROCESS_FAILED');
    expect(result.error?.message).toMatch(/exited 0 but printed nothing on stdout/);
    expect(stderrLines(result)).toEqual(['done']);
  });

  it('never ends: the invocation times out with INVOCATION_TIMEOUT and its process group (grandchild too) is gone', async () => {
    const pidFile = join(tempDir(), 'pids');
    const bot = defineBot({ key: 'endless-agent', command: ['python3', join(fixtures, 'never-ends.py'), pidFile] });
    const started = Date.now();
    // Long enough for python3 to start and write its pids on a loaded CI machine.
    const result = await run(bot, { timeoutMs: 4000 });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('INVOCATION_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(existsSync(pidFile)).toBe(true);
    const pids = readFileSync(pidFile, 'utf8').split(' ').map(Number);
    expect(pids).toHaveLength(2);
    expect(await eventually(() => pids.every((pid) => !alive(pid)))).toBe(true);
    expect(stderrLines(result)).toContain('waiting forever');
  });

  it('names a program that does not exist: a clear AGENT_PROCESS_FAILED with ENOENT and a hint', async () => {
    const bot = defineBot({ key: 'missing-agent', command: ['rehearse-no-such-program', 'agent.py'] });
    const result = await run(bot);
    expect(result.error?.code).toBe('AGENT_PROCESS_FAILED');
    expect(result.error?.message).toContain('could not start `rehearse-no-such-program agent.py`');
    expect(result.error?.message).toContain('ENOENT');
    expect(result.error?.hint).toContain('Is "rehearse-no-such-program" installed and on PATH');
  });
});
