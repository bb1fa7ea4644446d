import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeExecOutput, CodeExecParams } from '../../actions/builtin-types.js';
import type { LiveContext } from '../../actions/types.js';
import { CodeExecError } from '../../errors.js';
import { childEnvironment, TMP_DIR_NAME } from './environment.js';
import { changedFiles, snapshotFiles, writeParamFiles } from './files.js';
import { nodeExtension, resolveInterpreter } from './interpreters.js';
import { startProcess, type ProcessResult, type RunningProcess } from './process.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const MAX_TIMEOUT_MS = 600_000;

/** The code file's name starts so; it is removed after the run and never reported. */
export const CODE_FILE_PREFIX = '.rehearse-main-';

/** rehearse's own files at the top of the sandbox, which the files report leaves out. */
const isOwnFile = (name: string) => name.startsWith(CODE_FILE_PREFIX) || name === TMP_DIR_NAME;

/** After the invocation ends, how long a cleanup waits for a killed program to be gone. */
const CLOSE_WAIT_MS = 2000;

/**
 * Runs `params.code` once: in the invocation's sandbox, with a scrubbed environment, the timeout
 * and the output caps, and reports what it printed, how it ended and which files it touched. A
 * program that fails (non-zero exit, a signal, a timeout) is an output, not an error; only not being
 * able to run it at all throws.
 */
export async function runCode(params: CodeExecParams, live: LiveContext): Promise<CodeExecOutput> {
  if (live.signal.aborted) throw live.signal.reason;
  const parent = {
    PATH: live.env.PATH ?? process.env.PATH,
    HOME: live.env.HOME ?? process.env.HOME,
    PYENV_VERSION: live.env.PYENV_VERSION ?? process.env.PYENV_VERSION,
  };
  const root = live.settings.root;
  const interpreter = await resolveInterpreter(params.language, parent, root && existsSync(root) ? root : process.cwd());

  const sandbox = await live.sandbox();
  // The code goes in as a file rather than `-c`/`-e`: an argument is capped at 128 KiB on Linux
  // (MAX_ARG_STRLEN), a file is not; stdin stays free for `params.stdin`; tracebacks name a file and
  // line; and python puts the sandbox on sys.path, so modules written through `files` import. The
  // name is random because two runs of one invocation may share the sandbox at the same time.
  const extension = params.language === 'node' ? nodeExtension(params.code) : interpreter.extension;
  const codeFile = `${CODE_FILE_PREFIX}${randomBytes(4).toString('hex')}.${extension}`;
  try {
    // Sync for the two small writes every run makes: each async call waits ~50-100 µs for the thread
    // pool, several times the work itself.
    mkdirSync(join(sandbox, TMP_DIR_NAME), { recursive: true });
    if (params.files) await writeParamFiles(sandbox, params.files);
    // 'wx': a fresh file, never through a symlink a previous run left under that name.
    writeFileSync(join(sandbox, codeFile), params.code, { flag: 'wx' });
  } catch (error) {
    if (error instanceof CodeExecError) throw error;
    throw new CodeExecError(`cannot prepare the sandbox ${sandbox}: ${(error as Error).message}`, { cause: error });
  }

  try {
    const before = await snapshotFiles(sandbox, isOwnFile);
    if (live.signal.aborted) throw live.signal.reason;
    const running = startProcess({
      command: interpreter.command,
      // Relative to the cwd: messages then read `.rehearse-main-….py: line 3`, not a long temp path.
      args: interpreter.args(codeFile),
      cwd: sandbox,
      env: childEnvironment(params.language, sandbox),
      stdin: params.stdin,
      timeoutMs: params.timeout_ms ?? DEFAULT_TIMEOUT_MS,
      signal: live.signal,
    });
    // If the invocation ends while this still runs (a bot that did not await it), nothing may outlive it.
    // Registered after sandbox(), so it runs before the sandbox is removed (cleanups run newest first).
    // It holds the run through `guard` only, let go of when the run ends: an invocation that runs
    // code a thousand times keeps a thousand empty guards, not a thousand processes and outputs.
    const guard: { running?: RunningProcess } = { running };
    live.onClose(async () => {
      const still = guard.running;
      if (!still) return;
      still.kill();
      const gone = still.result.then(
        () => undefined,
        () => undefined,
      );
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
    });
    let result: ProcessResult;
    try {
      result = await running.result;
    } finally {
      delete guard.running;
    }
    const after = await snapshotFiles(sandbox, isOwnFile);
    return {
      stdout: result.stdout,
      stderr: result.stderr,
      exit_code: result.exitCode,
      ...(result.signal !== null && { signal: result.signal }),
      timed_out: result.timedOut,
      duration_ms: Math.round(result.durationMs * 10) / 10,
      stdout_truncated: result.stdoutTruncated,
      stderr_truncated: result.stderrTruncated,
      files: changedFiles(before, after),
    };
  } finally {
    rmSync(join(sandbox, codeFile), { force: true });
  }
}
