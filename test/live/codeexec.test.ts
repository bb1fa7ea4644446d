/**
 * The live codeexec.run executor with real subprocesses (python3, node, bash): what the code sees
 * (sandbox, scrubbed environment, stdin, files), what comes back (output, exit, caps, files report),
 * and that nothing it starts outlives a timeout, an abort or the invocation.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { codeExecAction } from '../../src/actions/codeexec.js';
import type { LiveContext, LiveSettings } from '../../src/actions/types.js';
import { defineBot, invoke, isRehearseError, type CodeExecOutput, type CodeExecParams, type RehearseEvent } from '../../src/index.js';
import { suiteState } from '../support/suite-state.js';

const parentEnv = { PATH: process.env.PATH, OPENAI_API_KEY: 'sk-secret-parent', REHEARSE_MODE: 'live' };

/** codeexec reads only `root` (where a version manager's python3 is resolved); the rest is filler. */
function settingsFor(sandbox: string): LiveSettings {
  const settings: Omit<LiveSettings, 'llm'> = { root: process.cwd(), statePath: join(sandbox, 'state.sqlite'), datasetsDir: sandbox, datasets: [], prices: {} };
  return settings as LiveSettings;
}

interface Harness {
  live: LiveContext;
  sandbox: string;
  abort(reason?: unknown): void;
  /** Runs the cleanups the executor registered, as the engine does when the invocation ends. */
  close(): Promise<void>;
}

/** A LiveContext made by hand: a temp sandbox removed after the test, cleanups collected. */
function harness(env: Record<string, string | undefined> = parentEnv): Harness {
  const sandbox = mkdtempSync(join(tmpdir(), 'rehearse-codeexec-test-'));
  const controller = new AbortController();
  const cleanups: Array<() => void | Promise<void>> = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  const live: LiveContext = {
    signal: controller.signal,
    env,
    warn() {},
    org: 'default',
    settings: settingsFor(sandbox),
    sandbox: async () => sandbox,
    onClose: (cleanup) => void cleanups.push(cleanup),
    emitDelta() {},
  };
  onTestFinished(async () => {
    await close();
    rmSync(sandbox, { recursive: true, force: true });
  });
  return { live, sandbox, abort: (reason) => controller.abort(reason), close };
}

/** Validates and runs, as the dispatcher does. */
async function run(params: unknown, h: Harness = harness()): Promise<CodeExecOutput> {
  const outcome = await codeExecAction.run!(codeExecAction.validate!(params), h.live);
  return outcome.output;
}

/**
 * Whether `pid` is dead. A killed orphan is reparented to PID 1, and in a container whose PID 1 does
 * not reap (as here) it stays a zombie: dead, holding only its table entry, so kill(pid, 0) still
 * succeeds. Elsewhere this is exactly kill(pid, 0) throwing ESRCH.
 */
function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
    return state === 'Z' || state === 'X';
  } catch {
    return true; // gone between the two looks
  }
}

async function expectDead(...pids: number[]): Promise<void> {
  for (const pid of pids) expect(Number.isInteger(pid) && pid > 1).toBe(true);
  await vi.waitFor(() => expect(pids.filter((pid) => !isDead(pid))).toEqual([]), { timeout: 2000, interval: 25 });
}

/** Waits for a file the code writes (e.g. its pids), and returns its content once complete (newline-terminated). */
async function waitForFile(path: string): Promise<string> {
  return vi.waitFor(
    () => {
      const content = existsSync(path) ? readFileSync(path, 'utf8') : '';
      if (!content.endsWith('\n')) throw new Error(`${path} not written yet`);
      return content;
    },
    { timeout: 5000, interval: 20 },
  );
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; hint?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; hint?: string };
  }
  throw new Error('expected a rejection');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('codeexec.run: languages', () => {
  it.each([
    ['python', 'import sys\nprint("hello from python")\nprint("warn", file=sys.stderr)\nsys.exit(3)', 'hello from python\n', 3],
    ['node', "console.log('hello from node');\nconsole.error('warn');\nprocess.exitCode = 4;", 'hello from node\n', 4],
    ['bash', 'echo "hello from bash"\necho warn >&2\nexit 5', 'hello from bash\n', 5],
  ] as const)('%s prints and exits with its code (a non-zero exit is an output, not an error)', async (language, code, stdout, exitCode) => {
    const output = await run({ language, code });
    expect(output).toEqual({
      stdout,
      stderr: 'warn\n',
      exit_code: exitCode,
      timed_out: false,
      duration_ms: expect.any(Number),
      stdout_truncated: false,
      stderr_truncated: false,
      files: [],
    });
    expect(output.duration_ms).toBeGreaterThan(0);
  });

  it('reports a program killed by a signal with exit_code null and the signal', async () => {
    const output = await run({ language: 'bash', code: 'echo before\nkill -TERM $$\necho after' });
    expect(output).toMatchObject({ stdout: 'before\n', exit_code: null, signal: 'SIGTERM', timed_out: false });
  });

  it('runs ESM and CommonJS node code alike, and large programs (past the 128 KiB limit of one argument)', async () => {
    const padding = `// ${'x'.repeat(200 * 1024)}\n`;
    const cjs = await run({ language: 'node', code: `${padding}const path = require('node:path');\nconsole.log(path.basename('/a/b.txt'));` });
    expect(cjs).toMatchObject({ stdout: 'b.txt\n', exit_code: 0 });
    const esm = await run({ language: 'node', code: "import { basename } from 'node:path';\nconsole.log(basename('/a/c.txt'));" });
    expect(esm.stderr).toBe('');
    expect(esm).toMatchObject({ stdout: 'c.txt\n', exit_code: 0 });
  });
});

describe('codeexec.run: node is CommonJS wherever the sandbox is', () => {
  it('can require() even when the sandbox sits inside a "type": "module" project (as a session sandbox does)', async () => {
    const h = harness();
    const project = join(h.sandbox, 'project');
    mkdirSync(join(project, 'sandbox'), { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
    const live: LiveContext = { ...h.live, sandbox: async () => join(project, 'sandbox') };
    const commonJs = await codeExecAction.run!(codeExecAction.validate!({ language: 'node', code: "console.log(require('path').sep)" }), live);
    expect(commonJs.output).toMatchObject({ stdout: '/\n', exit_code: 0 });
    const esm = await codeExecAction.run!(codeExecAction.validate!({ language: 'node', code: "import { sep } from 'node:path';\nconsole.log(sep)" }), live);
    expect(esm.output).toMatchObject({ stdout: '/\n', exit_code: 0 });
  });
});

describe('codeexec.run: input and files', () => {
  it('writes stdin to the program, then closes it', async () => {
    const python = await run({ language: 'python', code: 'import sys\ndata = sys.stdin.read()\nprint(data.upper(), end="")', stdin: 'héllo\nworld\n' });
    expect(python).toMatchObject({ stdout: 'HÉLLO\nWORLD\n', exit_code: 0 });
    const bash = await run({ language: 'bash', code: 'wc -l', stdin: 'a\nb\nc\n' });
    expect(bash.stdout.trim()).toBe('3');
  });

  it('gives an empty stdin when none is given, and ignores stdin the program does not read', async () => {
    const empty = await run({ language: 'python', code: 'try:\n    input()\nexcept EOFError:\n    print("eof")' });
    expect(empty).toMatchObject({ stdout: 'eof\n', exit_code: 0 });
    const unread = await run({ language: 'bash', code: 'exit 0', stdin: 'x'.repeat(4 * 1024 * 1024) });
    expect(unread).toMatchObject({ exit_code: 0, timed_out: false });
  });

  it('writes `files` before the run and reports what the run created or changed (not the code file)', async () => {
    const h = harness();
    writeFileSync(join(h.sandbox, 'untouched.txt'), 'left alone');
    const code = [
      'import helper',
      'from pathlib import Path',
      'rows = Path("data/in.csv").read_text().splitlines()',
      'Path("out").mkdir()',
      'Path("out/result.txt").write_text(helper.shout(rows[1]))',
      'Path("notes.txt").write_text("new!")', // same size as before: found by content
      'print(len(rows))',
    ].join('\n');
    const output = await run(
      {
        language: 'python',
        code,
        files: { 'data/in.csv': 'a,b\n1,2\n', 'helper.py': 'def shout(s):\n    return s.upper() + "!"\n', 'notes.txt': 'old!' },
      },
      h,
    );
    expect(output.stderr).toBe('');
    expect(output.stdout).toBe('2\n');
    expect(output.files).toEqual([
      { path: 'notes.txt', size: 4, change: 'modified' },
      { path: 'out/result.txt', size: 4, change: 'created' },
    ]);
    expect(readFileSync(join(h.sandbox, 'out/result.txt'), 'utf8')).toBe('1,2!');
    // The code file is removed after the run; rehearse's TMPDIR stays out of the report.
    const tmp = await run({ language: 'bash', code: 'echo scratch > "$TMPDIR/scratch"; echo "$0"' }, h);
    expect(tmp.files).toEqual([]);
    expect(tmp.stdout).toMatch(/^\.rehearse-main-[0-9a-f]{8}\.sh\n$/);
    expect(readdirSync(h.sandbox).filter((name) => name.startsWith('.rehearse-main-'))).toEqual([]);
  });
});

describe('codeexec.run: timeouts, aborts and leftovers', () => {
  it('kills the whole process group on timeout: a bash background child dies too', async () => {
    const started = performance.now();
    const output = await run({ language: 'bash', code: 'sleep 100 &\necho $!\nwait', timeout_ms: 400 });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(output).toMatchObject({ exit_code: null, signal: 'SIGKILL', timed_out: true });
    await expectDead(Number(output.stdout.trim()));
  });

  it('kills a python subprocess.Popen child on timeout', async () => {
    const code = 'import subprocess, time\np = subprocess.Popen(["sleep", "100"])\nprint(p.pid, flush=True)\ntime.sleep(100)';
    const output = await run({ language: 'python', code, timeout_ms: 600 });
    expect(output).toMatchObject({ exit_code: null, signal: 'SIGKILL', timed_out: true });
    await expectDead(Number(output.stdout.trim()));
  });

  it('does not wait for, nor leave running, what a program that exited left in the background', async () => {
    const started = performance.now();
    const output = await run({ language: 'bash', code: 'sleep 100 &\necho $!\nexit 0' });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(output).toMatchObject({ exit_code: 0, timed_out: false });
    await expectDead(Number(output.stdout.trim()));
  });

  it('kills the group when live.signal aborts, and rejects with the reason', async () => {
    const h = harness();
    const code = 'import os, subprocess, time\np = subprocess.Popen(["sleep", "100"])\nopen("pids", "w").write(f"{os.getpid()} {p.pid}\\n")\ntime.sleep(100)';
    const running = run({ language: 'python', code }, h);
    const pids = (await waitForFile(join(h.sandbox, 'pids'))).trim().split(' ').map(Number);
    h.abort(new Error('cancelled by the test'));
    expect((await rejection(running)).message).toBe('cancelled by the test');
    await expectDead(...pids);
  });

  it('kills what still runs when the invocation closes (a bot that did not await its run)', async () => {
    const h = harness();
    const running = run({ language: 'bash', code: 'sleep 100 &\necho "$$ $!" > pids\nwait' }, h);
    const pids = (await waitForFile(join(h.sandbox, 'pids'))).trim().split(' ').map(Number);
    await h.close();
    await expectDead(...pids);
    expect(await running).toMatchObject({ exit_code: null, signal: 'SIGKILL', timed_out: false });
  });
});

describe('codeexec.run: output caps', () => {
  it('keeps 1 MiB of stdout and of stderr, drops the rest and says so', async () => {
    const code = 'import sys\nsys.stdout.write("x" * (2 * 1024 * 1024))\nsys.stderr.write("e" * 10)';
    const output = await run({ language: 'python', code });
    expect(output.stdout.length).toBe(1024 * 1024);
    expect(output).toMatchObject({ exit_code: 0, stdout_truncated: true, stderr: 'eeeeeeeeee', stderr_truncated: false });

    const stderr = await run({ language: 'node', code: "process.stderr.write('y'.repeat(2 * 1024 * 1024)); console.log('done');" });
    expect(stderr.stderr.length).toBe(1024 * 1024);
    expect(stderr).toMatchObject({ stdout: 'done\n', stdout_truncated: false, stderr_truncated: true });
  });

  it('decodes UTF-8 once, never leaving half a character at the cut', async () => {
    // 3-byte characters: 1 MiB is not a multiple of 3, so the cap falls inside one.
    const output = await run({ language: 'python', code: 'import sys\nsys.stdout.write("€" * 400000)' });
    expect(output.stdout_truncated).toBe(true);
    expect(output.stdout).toBe('€'.repeat(Math.floor((1024 * 1024) / 3)));
  });
});

describe('codeexec.run: environment', () => {
  it('runs with a scrubbed environment: no keys, no REHEARSE_*, HOME and TMPDIR in the sandbox', async () => {
    vi.stubEnv('ANTHROPIC_API_KEY', 'sk-ant-process-env');
    vi.stubEnv('REHEARSE_STRICT', '1');
    const h = harness();
    const output = await run({ language: 'python', code: 'import os, json\nprint(json.dumps(dict(os.environ)))' }, h);
    const env = JSON.parse(output.stdout) as Record<string, string>;
    expect(env).toEqual({
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: h.sandbox,
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TMPDIR: join(h.sandbox, '.rehearse-tmp'),
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
    });
    expect(output.stdout).not.toContain('sk-');

    const bash = await run({ language: 'bash', code: 'env | cut -d= -f1 | sort | tr "\\n" " "; echo; pwd' }, h);
    expect(bash.stdout).not.toMatch(/OPENAI|ANTHROPIC|REHEARSE|PYTHON/);
    expect(bash.stdout.trim().split('\n').at(-1)).toBe(realpathSync(h.sandbox));
  });

  it('runs the python3 of the parent PATH, seen through a version-manager shim, which it asks only once', async () => {
    const realPython = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const bin = mkdtempSync(join(tmpdir(), 'rehearse-shim-'));
    onTestFinished(() => rmSync(bin, { recursive: true, force: true }));
    // Like pyenv's shims: a script on the parent's PATH (only there) that execs the real interpreter.
    writeFileSync(join(bin, 'python3'), `#!/bin/sh\necho called >> "${bin}/calls"\nexec "${realPython}" "$@"\n`, { mode: 0o755 });
    const h = harness({ PATH: bin });
    for (let index = 0; index < 2; index++) {
      const output = await run({ language: 'python', code: 'import os, sys\nprint(sys.executable)\nprint(os.environ["PATH"])' }, h);
      expect(output.stderr).toBe('');
      expect(output.stdout).toBe(`${realPython}\n/usr/local/bin:/usr/bin:/bin\n`);
    }
    expect(readFileSync(join(bin, 'calls'), 'utf8')).toBe('called\n');
  });

  it('finds the interpreter on the parent PATH, and says what to install when it is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'rehearse-empty-path-'));
    onTestFinished(() => rmSync(empty, { recursive: true, force: true }));
    const h = harness({ PATH: empty });
    const python = await rejection(run({ language: 'python', code: 'print(1)' }, h));
    expect(python.code).toBe('INTERPRETER_MISSING');
    expect(python.message).toMatch(/cannot run python: no `python3`/);
    expect(python.message).toContain(empty);
    expect(python.hint).toMatch(/Install Python 3/);
    const bash = await rejection(run({ language: 'bash', code: 'echo 1' }, h));
    expect(bash.code).toBe('INTERPRETER_MISSING');
    expect(bash.hint).toMatch(/Install bash/);
    // Node is the binary running rehearse, PATH or not.
    expect(await run({ language: 'node', code: 'console.log(1)' }, h)).toMatchObject({ stdout: '1\n', exit_code: 0 });
  });
});

describe('codeexec.run: params', () => {
  it.each([
    [null, /params must be an object/],
    [{ code: 'print(1)' }, /"language" is undefined; use one of "python", "node", "bash"/],
    [{ language: 'ruby', code: 'puts 1' }, /"language" is "ruby"/],
    [{ language: 'python' }, /"code" must be a string/],
    [{ language: 'python', code: 'x', stdin: 5 }, /"stdin" must be a string/],
    [{ language: 'python', code: 'x', timeout_ms: 600_001 }, /"timeout_ms" is 600001; at most 600000/],
    [{ language: 'python', code: 'x', timeout_ms: -1 }, /"timeout_ms" is -1; it must be a positive whole number/],
    [{ language: 'python', code: 'x', timeout_ms: '5000' }, /"timeout_ms" is "5000"/],
    [{ language: 'python', code: 'x', timeout: 5000 }, /unknown field "timeout"/],
    [{ language: 'python', code: 'x', files: ['a'] }, /"files" must be an object/],
    [{ language: 'python', code: 'x', files: { '../escape.txt': 'x' } }, /"files" key "\.\.\/escape\.txt" must be a plain relative path/],
    [{ language: 'python', code: 'x', files: { '/etc/passwd': 'x' } }, /"files" key "\/etc\/passwd" is absolute/],
    [{ language: 'python', code: 'x', files: { '.rehearse-tmp/x': 'x' } }, /is reserved by rehearse/],
    [{ language: 'python', code: 'x', files: { 'a.txt': 1 } }, /files\["a\.txt"\] must be a string/],
  ])('refuses %j', (params, message) => {
    let error: unknown;
    try {
      codeExecAction.validate!(params);
    } catch (caught) {
      error = caught;
    }
    expect(isRehearseError(error) && error.code).toBe('ACTION_PARAMS_INVALID');
    expect((error as Error).message).toMatch(/^Invalid params for codeexec\.run: /);
    expect((error as Error).message).toMatch(message);
  });

  it('accepts the full shape and returns the params object itself', () => {
    const params: CodeExecParams = { language: 'bash', code: 'cat', stdin: 'x', timeout_ms: 600_000, files: { 'a/b.txt': '' } };
    expect(codeExecAction.validate!(params)).toBe(params);
    expect(codeExecAction.cachedByDefault).toBe(false);
  });
});

describe('codeexec.run through invoke()', () => {
  const env = { ...parentEnv, ...suiteState(), REHEARSE_MODE: 'live' };

  it('runs live in the invocation sandbox, which is removed when the invocation ends', async () => {
    const bot = defineBot({
      key: 'codeexec-bot',
      version: 'v1',
      async run(_input, ctx) {
        const first = await ctx.codeexec.run({ language: 'bash', code: 'pwd; echo "$OPENAI_API_KEY" > seen.txt' });
        const second = await ctx.codeexec.run({ language: 'python', code: 'print(open("seen.txt").read().strip() or "no key")' });
        return { pwd: first.stdout.trim(), files: first.files, second: second.stdout };
      },
    });
    const result = await invoke(bot, { mode: 'live', env });
    expect(result.error).toBeUndefined();
    const output = result.result.output as { pwd: string; files: unknown; second: string };
    expect(output.files).toEqual([{ path: 'seen.txt', size: 1, change: 'created' }]);
    expect(output.second).toBe('no key\n');
    expect(output.pwd).toMatch(/rehearse-sandbox-/);
    expect(existsSync(output.pwd)).toBe(false);
    const completed = result.events.filter((event): event is Extract<RehearseEvent, { type: 'action.completed' }> => event.type === 'action.completed');
    expect(completed.map((event) => [event.action_type, event.status, event.source])).toEqual([
      ['codeexec.run', 'success', 'live'],
      ['codeexec.run', 'success', 'live'],
    ]);
  });

  it('fails the invocation on invalid params, naming the field', async () => {
    const bot = defineBot({
      key: 'codeexec-bad-params',
      version: 'v1',
      run: (_input, ctx) => ctx.codeexec.run({ language: 'python', code: 'print(1)', timeout_ms: 10 ** 7 }),
    });
    const result = await invoke(bot, { mode: 'live', env });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'ACTION_PARAMS_INVALID', message: expect.stringContaining('"timeout_ms"') });
  });
});
