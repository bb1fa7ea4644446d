import { spawn, type ChildProcess } from 'node:child_process';
import { CodeExecError } from '../../errors.js';
import { CappedOutput } from './capture.js';

/** After the program exits, how long its pipes may stay open (held by something outside its group) before we stop reading. */
const DRAIN_GRACE_MS = 1000;

export interface ProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  stdin: string | undefined;
  timeoutMs: number;
  signal: AbortSignal;
  /** Also gets stderr as it arrives (an agent's logs become events while it runs). */
  onStderr?: (chunk: Buffer) => void;
}

export interface ProcessResult {
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
}

/** A started program: its result, and a way to end it (and everything it started) early. */
export interface RunningProcess {
  result: Promise<ProcessResult>;
  /** Kills the whole group now; `result` still settles (as killed). */
  kill(): void;
}

/**
 * SIGKILL to the program's whole process group: the program and every child it forked (a bash
 * `sleep 100 &`, a python `subprocess.Popen`), unless one of them made a session of its own (setsid).
 */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is gone already. Nothing else can be done about EPERM.
  }
}

/**
 * Runs one program in a process group of its own (`detached: true` makes it a group leader) and
 * collects its capped output. The group is killed when the timeout runs out, when `signal` aborts
 * (then `result` rejects with the signal's reason), and when the program itself exits: whatever it
 * left running in the background would otherwise hold its output pipes open and outlive the run.
 */
export function startProcess(options: ProcessOptions): RunningProcess {
  const stdout = new CappedOutput();
  const stderr = new CappedOutput();
  const started = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    return { result: Promise.reject(spawnError(options.command, error)), kill() {} };
  }
  const pid = child.pid;

  let timedOut = false;
  let exited = false;
  let settled = false;
  let exitCode: number | null = null;
  let exitSignal: NodeJS.Signals | null = null;
  let graceTimer: NodeJS.Timeout | undefined;

  const kill = () => {
    if (pid !== undefined && !settled) killGroup(pid);
  };

  const result = new Promise<ProcessResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (exited) return; // it ended in time; only its pipes are still draining
      timedOut = true;
      kill();
    }, options.timeoutMs);
    const onAbort = () => kill();
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (options.signal.aborted) kill();

    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      options.signal.removeEventListener('abort', onAbort);
      if (error !== undefined) {
        if (pid !== undefined) killGroup(pid);
        reject(error);
      } else if (options.signal.aborted) reject(options.signal.reason);
      else {
        resolve({
          stdout: stdout.take(),
          stderr: stderr.take(),
          stdoutTruncated: stdout.truncated,
          stderrTruncated: stderr.truncated,
          exitCode,
          signal: exitSignal,
          timedOut,
          durationMs: performance.now() - started,
        });
      }
    };

    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      options.onStderr?.(chunk);
    });
    if (child.stdin) {
      // The program may exit (or close its stdin) without reading it all: EPIPE is not our failure.
      child.stdin.on('error', () => {});
      child.stdin.end(options.stdin);
    }

    child.on('error', (error) => {
      // Before the program ran (ENOENT, EACCES on the interpreter), this is a failure to run.
      if (!exited) finish(spawnError(options.command, error));
    });
    child.on('exit', (code, signal) => {
      exited = true;
      exitCode = code;
      exitSignal = signal;
      if (pid !== undefined) killGroup(pid);
      // Output still in the pipes is read before 'close'; a pipe held open by a process that left
      // the group (setsid) must not keep the run waiting.
      graceTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, DRAIN_GRACE_MS);
    });
    child.on('close', () => finish());
  });

  return { result, kill };
}

function spawnError(command: string, error: unknown): CodeExecError {
  const code = (error as NodeJS.ErrnoException).code;
  return new CodeExecError(`starting ${command} failed${code ? ` (${code})` : ''}: ${(error as Error).message}`, {
    hint: 'Check that the interpreter is executable by the user rehearse runs as.',
    cause: error,
  });
}
